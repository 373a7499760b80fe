"""The import and export tables of a Windows DLL (PE/COFF), read in plain Python.

Why: "DLL load failed while importing QtCore: The specified procedure could not be found"
is all Windows says when a DLL that Qt (or onnxruntime) needs is found but is an older copy
than the one it was built against -- an ICU older than Qt 6.10+ expects, an old VC++
runtime in System32, another program's copy first on the search path. The import table
names every function a DLL needs from each of its dependencies, and the export table of the
copy that would be loaded says which of them it has, so the self-test can name the DLL, the
folder it came from and the missing functions before the kiosk fails in front of a resident.
Read-only and bounds-checked: a truncated or hostile file raises `PEError`, never crashes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

EXPORT_DIR, IMPORT_DIR = 0, 1
MAX_ENTRIES = 100_000          # more names or descriptors than any real DLL: a damaged file


class PEError(ValueError):
    """Not a PE file, or a damaged one; the message says where it stopped making sense."""


@dataclass(frozen=True)
class _Section:
    va: int
    size: int
    raw: int
    raw_size: int


class PEFile:
    """One PE file's bytes and the mapping of its virtual addresses to file offsets."""

    def __init__(self, data: bytes, name: str = "") -> None:
        self.data, self.name = data, name
        if data[:2] != b"MZ":
            raise PEError(f"{name}: not a Windows executable (no MZ header)")
        pe = self._u32(0x3C)
        if data[pe:pe + 4] != b"PE\0\0":
            raise PEError(f"{name}: no PE signature")
        sections, opt_size = self._u16(pe + 6), self._u16(pe + 20)
        opt = pe + 24
        magic = self._u16(opt)
        if magic not in (0x10B, 0x20B):
            raise PEError(f"{name}: unknown optional header 0x{magic:x}")
        self.pe32_plus = magic == 0x20B
        count_at, dirs_at = (opt + 108, opt + 112) if self.pe32_plus else (opt + 92, opt + 96)
        self._dirs = [(self._u32(dirs_at + 8 * i), self._u32(dirs_at + 8 * i + 4))
                      for i in range(min(self._u32(count_at), 16))]
        table = opt + opt_size
        self._sections = [_Section(self._u32(s + 12), self._u32(s + 8), self._u32(s + 20),
                                   self._u32(s + 16))
                          for s in (table + 40 * i for i in range(sections))]

    @classmethod
    def open(cls, path: Path) -> PEFile:
        return cls(Path(path).read_bytes(), Path(path).name)

    def _unpack(self, fmt: str, offset: int) -> int:
        try:
            return struct.unpack_from(fmt, self.data, offset)[0]
        except struct.error:
            raise PEError(f"{self.name}: truncated at byte {offset}") from None

    def _u16(self, offset: int) -> int:
        return self._unpack("<H", offset)

    def _u32(self, offset: int) -> int:
        return self._unpack("<I", offset)

    def _u64(self, offset: int) -> int:
        return self._unpack("<Q", offset)

    def offset(self, rva: int) -> int:
        for s in self._sections:
            if s.va <= rva < s.va + max(s.size, s.raw_size):
                return rva - s.va + s.raw
        raise PEError(f"{self.name}: address 0x{rva:x} lies in no section")

    def _string(self, rva: int) -> str:
        start = self.offset(rva)
        end = self.data.find(b"\0", start, start + 512)
        if end < 0:
            raise PEError(f"{self.name}: unterminated name at 0x{rva:x}")
        return self.data[start:end].decode("ascii", "replace")

    def _directory(self, index: int) -> tuple[int, int]:
        return self._dirs[index] if index < len(self._dirs) else (0, 0)

    def imports(self) -> dict[str, list[str]]:
        """DLL name (as written) -> the functions imported from it (`#n` for an ordinal).
        Only the load-time imports: a delay-loaded DLL cannot stop the module loading."""
        rva, _ = self._directory(IMPORT_DIR)
        out: dict[str, list[str]] = {}
        if not rva:
            return out
        at = self.offset(rva)
        width, flag = (8, 1 << 63) if self.pe32_plus else (4, 1 << 31)
        read = self._u64 if self.pe32_plus else self._u32
        for n in range(MAX_ENTRIES):
            lookup, name_rva, first = (self._u32(at + 20 * n), self._u32(at + 20 * n + 12),
                                       self._u32(at + 20 * n + 16))
            if not (lookup or name_rva or first):
                return out
            names = out.setdefault(self._string(name_rva), [])
            thunk = self.offset(lookup or first)
            for k in range(MAX_ENTRIES):
                entry = read(thunk + width * k)
                if not entry:
                    break
                names.append(f"#{entry & 0xFFFF}" if entry & flag
                             else self._string((entry & 0x7FFFFFFF) + 2))
        raise PEError(f"{self.name}: import table does not end")

    def exports(self) -> set[str]:
        """The names this DLL exports (forwarded ones included, as the loader sees them), and
        `#n` for each ordinal it exports."""
        rva, _ = self._directory(EXPORT_DIR)
        if not rva:
            return set()
        at = self.offset(rva)
        base, functions, count = self._u32(at + 16), self._u32(at + 20), self._u32(at + 24)
        if count > MAX_ENTRIES or functions > MAX_ENTRIES:
            raise PEError(f"{self.name}: {count} export names, {functions} functions")
        table = self.offset(self._u32(at + 32)) if count else 0
        named = {self._string(self._u32(table + 4 * i)) for i in range(count)}
        addresses = self.offset(self._u32(at + 28)) if functions else 0
        return named | {f"#{base + i}" for i in range(functions)       # by ordinal too
                        if self._u32(addresses + 4 * i)}
