"""Legacy Word (.doc) and WPS (.wps) files through antiword or LibreOffice, whichever is installed."""

from __future__ import annotations

import os
import shutil
import tempfile

from ..errors import InputError
from .extracted import Extracted
from .limits import run_tool

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read(data: bytes, suffix: str = ".doc") -> Extracted:
    """antiword first (small, fast, UTF-8 out); LibreOffice headless when antiword is missing or refuses."""
    if not data.startswith(_OLE):
        if data[:4] == b"PK\x03\x04":
            from .docx import read as read_docx

            return read_docx(data, ".docx")  # a .docx saved under the old name
        raise InputError(f"not a Word/WPS document: the {suffix} file is not an OLE compound file")
    antiword = shutil.which("antiword")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if antiword is None and soffice is None:
        raise InputError(f"cannot read {suffix} files: install antiword (apt-get install antiword) "
                         f"or LibreOffice (apt-get install libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="archive-doc-") as tmp:
        src = os.path.join(tmp, "in" + suffix)
        with open(src, "wb") as f:
            f.write(data)
        if antiword is not None:
            try:
                out = run_tool([antiword, "-m", "UTF-8.txt", "-w", "0", src], None, "antiword")
                text = out.decode("utf-8", "replace")
                if text.strip():
                    return Extracted(text, "antiword")
            except InputError:
                if soffice is None:
                    raise
        if soffice is None:
            raise InputError(f"antiword read nothing from this {suffix} file; LibreOffice may "
                             f"(apt-get install libreoffice-writer-nogui)")
        run_tool([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                  "--convert-to", "txt:Text (encoded):UTF8", "--outdir", tmp, src], None, "LibreOffice")
        with open(os.path.join(tmp, "in.txt"), "rb") as f:
            return Extracted(f.read().decode("utf-8-sig", "replace"), "libreoffice")
