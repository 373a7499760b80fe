; Inno Setup 6.3+ script for the 安心认证 kiosk (Windows 10/11 x64). UTF-8 without BOM, which
; Inno Setup reads as UTF-8 from 6.3 on (older ones would garble the Chinese names).
; NOT BUILT OR TESTED HERE (no Windows machine): see docs/deployment.md, "Windows".
;
; Build on Windows after `uv run --group build pyinstaller --noconfirm kiosk.spec`:
;   iscc /DAppVersion=0.1.0 packaging\windows\kiosk.iss
; Install silently for a kiosk account named "kiosk":
;   anxin-kiosk-setup-0.1.0.exe /VERYSILENT /KIOSKUSER=kiosk
;
; - Program files: {app} (replaced on upgrade; stale files of the old bundle removed).
; - Data: C:\ProgramData\AnxinKiosk, made once, readable and writable only by the kiosk
;   user, Administrators and SYSTEM; never removed by upgrade or uninstall. KIOSK_HOME
;   (machine environment) points the kiosk there.
; - Autostart: a scheduled task at the kiosk user's logon, in that user's session.
; - Touch: Windows' edge-swipe gestures off for every user (policy AllowEdgeSwipe = 0), so a
;   swipe from the screen edge cannot open the Action Center or task view over the kiosk.
; - Auto-logon of the kiosk account: packaging\windows\kiosk-user.ps1 (run once as admin).
; - Signing (recommended: unsigned PyInstaller programs are often flagged by antivirus):
;   sign dist\kiosk\kiosk.exe and kiosk-cli.exe first (docs/deployment.md, "Signing"), then
;   iscc /DAppVersion=0.1.0 "/DSignTool=signtool" "/Ssigntool=signtool.exe sign /fd sha256 /tr <timestamp-url> /td sha256 /a $f" packaging\windows\kiosk.iss

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define DataDir "{commonappdata}\AnxinKiosk"

[Setup]
; the same id as packaging/windows/resources.py APP_ID (tests check it)
AppId={{6F3E9A52-4C1B-4D8E-9B7A-2A51C0E4B7D1}
AppName=安心认证 Kiosk
AppVersion={#AppVersion}
AppPublisher=安心认证
DefaultDirName={autopf}\AnxinKiosk
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
; Windows 10 1809 (LTSC 2019) or later: Qt's own minimum, and the first with the ICU Qt6Core.dll
; imports from System32 (kiosk/deploy/windows_dlls.py MIN_WINDOWS_BUILD; tests check it)
MinVersion=10.0.17763
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=anxin-kiosk-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
ChangesEnvironment=yes
CloseApplications=force
RestartApplications=no
UninstallDisplayIcon={app}\kiosk.exe
SetupIconFile=..\..\build\stage\kiosk.ico
VersionInfoVersion={#AppVersion}
VersionInfoProductName=安心认证 Kiosk
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[InstallDelete]
; the old bundle's libraries go before the new ones are copied (data lives elsewhere)
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\kiosk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; Microsoft's current VC++ 2015-2022 x64 runtime (onnxruntime >= 1.21 needs a recent one),
; downloaded by the builder next to this script; the build fails loudly without it.
Source: "vc_redist.x64.exe"; DestDir: "{tmp}"; Flags: deleteafterinstall

[Dirs]
Name: "{#DataDir}"; Flags: uninsneveruninstall

[Registry]
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; \
  ValueType: string; ValueName: "KIOSK_HOME"; ValueData: "{#DataDir}"; Flags: preservestringtype
; edge swipes (Action Center, task view, widgets) off for every user of this PC
Root: HKLM; Subkey: "SOFTWARE\Policies\Microsoft\Windows\EdgeUI"; ValueType: dword; \
  ValueName: "AllowEdgeSwipe"; ValueData: 0; Flags: uninsdeletevalue

[Run]
Filename: "{tmp}\vc_redist.x64.exe"; Parameters: "/install /quiet /norestart"; \
  Flags: runhidden waituntilterminated; StatusMsg: "Installing the Visual C++ runtime..."
; data folder: kiosk user + Administrators + SYSTEM only (residents' records are in it)
Filename: "{sys}\icacls.exe"; \
  Parameters: """{#DataDir}"" /inheritance:r /grant:r ""*S-1-5-32-544:(OI)(CI)F"" ""*S-1-5-18:(OI)(CI)F"" ""{param:KIOSKUSER|kiosk}:(OI)(CI)M"""; \
  Flags: runhidden waituntilterminated; StatusMsg: "Setting data folder permissions..."
; autostart at the kiosk user's logon, interactive, normal rights; /F replaces an old task
Filename: "{sys}\schtasks.exe"; \
  Parameters: "/Create /F /TN ""AnxinKiosk"" /SC ONLOGON /RU ""{param:KIOSKUSER|kiosk}"" /IT /RL LIMITED /TR ""\""{app}\kiosk.exe\"""""; \
  Flags: runhidden waituntilterminated; StatusMsg: "Registering autostart..."
; check the installed kiosk (models, database, speech voice, camera) and show the result
Filename: "{cmd}"; \
  Parameters: "/k set KIOSK_HOME={#DataDir}&& ""{app}\kiosk-cli.exe"" selftest"; \
  Description: "Run the kiosk self-test now"; Flags: postinstall nowait skipifsilent unchecked

[UninstallRun]
Filename: "{sys}\schtasks.exe"; Parameters: "/Delete /F /TN ""AnxinKiosk"""; \
  Flags: runhidden; RunOnceId: "DelTask"
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM kiosk.exe"; Flags: runhidden; \
  RunOnceId: "KillKiosk"

[Code]
// A running kiosk (supervisor + UI, both kiosk.exe) holds its files open: stop it first.
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  Code: Integer;
begin
  Exec(ExpandConstant('{sys}\taskkill.exe'), '/F /IM kiosk.exe', '', SW_HIDE,
       ewWaitUntilTerminated, Code);
  Result := '';
end;
