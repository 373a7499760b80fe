# Anxin kiosk: the kiosk account and its automatic logon (Windows 10/11).
# ASCII only on purpose: Windows PowerShell 5.1 reads a .ps1 without BOM in the ANSI code
# page, and UTF-8 Chinese read as GBK can swallow a closing quote.
# NOT RUN HERE (no Windows machine): see docs/deployment.md, "Windows: step by step".
#
# Run once, in an elevated PowerShell, after the installer:
#   powershell -ExecutionPolicy Bypass -File kiosk-user.ps1 [-User kiosk]
#
# 1. Makes the local standard (not administrator) account if it does not exist; the password
#    is asked for, never written in a file or on the command line.
# 2. Automatic logon of that account after every restart (Winlogon AutoAdminLogon). Windows
#    keeps DefaultPassword readable by administrators only; Sysinternals Autologon stores it
#    as an LSA secret instead - use that where the site's rules ask for it.
# 3. Edge swipes off for the account too (the installer sets the machine policy; this is the
#    per-user copy some editions read).
# The kiosk starts at this account's logon through the installer's scheduled task AnxinKiosk.

param([string]$User = "kiosk")
$ErrorActionPreference = "Stop"

$password = Read-Host -AsSecureString "Password for the kiosk account '$User'"
if (-not (Get-LocalUser -Name $User -ErrorAction SilentlyContinue)) {
    New-LocalUser -Name $User -Password $password -FullName "Anxin Kiosk" `
        -Description "runs the Anxin kiosk" -PasswordNeverExpires -UserMayNotChangePassword
    Add-LocalGroupMember -Group (Get-LocalGroup -SID "S-1-5-32-545") -Member $User   # Users
} else {
    Set-LocalUser -Name $User -Password $password
}

$plain = [Runtime.InteropServices.Marshal]::PtrToStringUni(
    [Runtime.InteropServices.Marshal]::SecureStringToBSTR($password))
$winlogon = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
Set-ItemProperty $winlogon -Name AutoAdminLogon -Value "1"
Set-ItemProperty $winlogon -Name DefaultUserName -Value $User
Set-ItemProperty $winlogon -Name DefaultDomainName -Value $env:COMPUTERNAME
Set-ItemProperty $winlogon -Name DefaultPassword -Value $plain
Remove-ItemProperty $winlogon -Name AutoLogonCount -ErrorAction SilentlyContinue

# per-user edge-swipe policy in the account's own hive (loaded if it is not logged on)
$sid = (Get-LocalUser -Name $User).SID.Value
$hive = "Registry::HKEY_USERS\$sid"
$loaded = $false
if (-not (Test-Path $hive)) {
    $profile = "C:\Users\$User\NTUSER.DAT"
    if (Test-Path $profile) { reg load "HKU\$sid" $profile | Out-Null; $loaded = $true }
}
if (Test-Path $hive) {
    New-Item "$hive\Software\Policies\Microsoft\Windows\EdgeUI" -Force | Out-Null
    Set-ItemProperty "$hive\Software\Policies\Microsoft\Windows\EdgeUI" -Name AllowEdgeSwipe `
        -Type DWord -Value 0
}
if ($loaded) { [gc]::Collect(); reg unload "HKU\$sid" | Out-Null }

Write-Host "Account '$User' logs on automatically; the kiosk starts at its logon (task AnxinKiosk)."
Write-Host "Check after a restart: kiosk-cli selftest (as that user)."
