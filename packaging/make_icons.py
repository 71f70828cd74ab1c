"""Render the app icon SVG into the multi-size ``.ico`` Windows needs, plus a 256 px PNG.

Why a script of our own: Windows takes the exe icon, the Start-menu shortcut and the Add/Remove
Programs icon from a ``.ico``, and Pillow/ImageMagick are not dependencies of this project. Qt's
``QSvgRenderer`` (in PySide6-Essentials, already a dependency) renders the SVG, and an ICO is a
small header plus one image per size. Sizes up to 48 px are stored as 32-bit BMP (every Windows
shell and resource tool reads those), larger ones as PNG (Vista and later), which keeps the file
small. The output is deterministic, so re-running it leaves a committed ``.ico`` unchanged.

Usage: ``python packaging/make_icons.py [--svg resources/icons/federator.svg] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "federator.svg"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
BMP_MAX = 48  # sizes above this are stored as PNG inside the .ico


def _render(svg: Path, size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` as straight (non-premultiplied) BGRA rows, top first."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"error: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    # Format_ARGB32 is stored as B, G, R, A bytes on little-endian machines: exactly a DIB row.
    straight = image.convertToFormat(QImage.Format.Format_ARGB32)
    return bytes(straight.constBits())[: size * size * 4]


def _png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage

    bgra = _render(svg, size)
    image = QImage(bgra, size, size, size * 4, QImage.Format.Format_ARGB32)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; it wants str
    buffer.close()
    return bytes(data.data())


def _bmp(svg: Path, size: int) -> bytes:
    """An ICO image entry: BITMAPINFOHEADER, bottom-up BGRA pixels, then the 1-bit AND mask."""
    bgra = _render(svg, size)
    rows = [bgra[y * size * 4:(y + 1) * size * 4] for y in range(size)]
    mask_stride = ((size + 31) // 32) * 4
    mask = b"\x00" * mask_stride * size  # all opaque: the alpha channel does the masking
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0,
                         size * size * 4 + len(mask), 0, 0, 0, 0)
    return header + b"".join(reversed(rows)) + mask


def ico_bytes(svg: Path, sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    images = [(s, _bmp(svg, s) if s <= BMP_MAX else _png(svg, s)) for s in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, data in images:
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(data for _, data in images)


def make_icons(out_dir: Path, svg: Path = SVG) -> tuple[Path, Path]:
    """Write ``federator.ico`` and a 256 px ``federator.png`` into ``out_dir``; return both."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    out_dir.mkdir(parents=True, exist_ok=True)
    ico = out_dir / "federator.ico"
    png = out_dir / "federator.png"
    ico.write_bytes(ico_bytes(svg))
    png.write_bytes(_png(svg, 256))
    return ico, png


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SVG)
    parser.add_argument("--out", type=Path, default=SVG.parent)
    args = parser.parse_args()
    for path in make_icons(args.out, args.svg):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
