"""Image files: what loads, and how failures read (videos, cameras, the test pattern and
``open_source``: test_video_sources.py).

Every file is generated here (OpenCV encoders, a hand-written PNG writer for the layouts
OpenCV cannot write, and one tiny CMYK JPEG made with Pillow and embedded below).
"""

from __future__ import annotations

import base64
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.engine import sources
from convlab.engine.image_files import (
    apply_orientation,
    flatten_alpha,
    preview_size,
    reduce_for_preview,
)
from convlab.engine.sources import (
    ImageSource,
    load_image,
    open_source,
    read_image,
)
from convlab.errors import ConvlabError, SourceError

# 16x8 CMYK JPEG (Adobe APP14, 4 components) written by Pillow 13 from RGB: left half pure
# red, right half pure blue. OpenCV cannot write CMYK, so the bytes are embedded.
CMYK_JPEG = base64.b64decode(
    "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkK"
    "CgoKCgYICwwLCgwJCgoK/8AAFAgACAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//E"
    "ALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2"
    "Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrC"
    "w8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9/K/n/r+f+v38r+AOiv7/ACiv"
    "/9k="
)


# -- helpers -------------------------------------------------------------------------------


def write_image(path: Path, pixels: np.ndarray, params: list[int] | None = None) -> Path:
    """Encode with OpenCV (pixels given in OpenCV's BGR order) and write via numpy, which
    handles any path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(path.suffix, pixels, params or [])
    assert ok
    encoded.tofile(str(path))
    return path


def png_bytes(pixels: np.ndarray, color_type: int) -> bytes:
    """A minimal PNG written by hand (independent of OpenCV's encoder). color_type: 0 gray,
    2 RGB, 4 gray+alpha, 6 RGBA; uint16 pixels give a 16-bit PNG."""
    height, width = pixels.shape[:2]
    depth = 16 if pixels.dtype == np.uint16 else 8
    sample = ">u2" if depth == 16 else "u1"
    raw = b"".join(b"\x00" + pixels[y].astype(sample).tobytes() for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def rgb_test_image(height: int = 24, width: int = 32) -> np.ndarray:
    """Distinct channels so a BGR/RGB swap or a flip cannot go unnoticed."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.dstack([xs * 7 % 256, ys * 9 % 256, (xs + ys) * 3 % 256]).astype(np.uint8)


def bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, :, ::-1])


def assert_rgb8(image: np.ndarray, shape: tuple[int, int]) -> None:
    assert image.dtype == np.uint8
    assert image.shape == (*shape, 3)
    assert image.flags.c_contiguous


def expect_error(path: Path, *words: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        load_image(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word.lower() in message.lower(), message
    assert isinstance(info.value, ConvlabError)
    return info.value


# -- formats that load ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tiff", ".webp"])
def test_lossless_formats_round_trip_as_rgb(tmp_path: Path, suffix: str) -> None:
    rgb = rgb_test_image()
    params = [cv2.IMWRITE_WEBP_QUALITY, 101] if suffix == ".webp" else []  # >100: lossless
    path = write_image(tmp_path / f"picture{suffix}", bgr(rgb), params)
    image = load_image(path)
    assert_rgb8(image, rgb.shape[:2])
    assert np.array_equal(image, rgb)


def test_jpeg_loads_close_with_colours_in_rgb_order(tmp_path: Path) -> None:
    rgb = np.zeros((16, 32, 3), np.uint8)
    rgb[:, :16] = (230, 20, 20)  # red left
    rgb[:, 16:] = (20, 20, 230)  # blue right
    path = write_image(tmp_path / "photo.jpg", bgr(rgb), [cv2.IMWRITE_JPEG_QUALITY, 98])
    image = load_image(path)
    assert_rgb8(image, (16, 32))
    assert np.abs(image[4:12, 2:12].astype(int) - (230, 20, 20)).max() < 12
    assert np.abs(image[4:12, 20:30].astype(int) - (20, 20, 230)).max() < 12


def test_grayscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    gray = rgb_test_image()[:, :, 0]
    image = load_image(write_image(tmp_path / "gray.png", gray))
    assert_rgb8(image, gray.shape)
    for channel in range(3):
        assert np.array_equal(image[:, :, channel], gray)


def test_sixteen_bit_full_range_divides_by_257(tmp_path: Path) -> None:
    rgb8 = rgb_test_image()
    rgb16 = rgb8.astype(np.uint16) * 257
    rgb16[0, 0] = 65535  # full-range data
    expected = rgb8.copy()
    expected[0, 0] = 255
    for suffix in (".png", ".tiff"):
        image = load_image(write_image(tmp_path / f"deep{suffix}", bgr(rgb16)))
        assert np.array_equal(image, expected)


def test_sixteen_bit_with_twelve_bit_data_is_stretched(tmp_path: Path) -> None:
    data = np.array([[0, 1000, 4095]], dtype=np.uint16)
    loaded = read_image(write_image(tmp_path / "sensor.tiff", data))
    # 12 bits: v * 255 / 4095 -> 0, 62.27, 255
    assert loaded.image[0, :, 0].tolist() == [0, 62, 255]
    assert any("12 bits" in warning for warning in loaded.warnings)


def test_float_tiff_in_unit_range(tmp_path: Path) -> None:
    data = np.array([[0.0, 0.2, 1.0]], dtype=np.float32)
    image = load_image(write_image(tmp_path / "float.tiff", data))
    assert image[0, :, 1].tolist() == [0, 51, 255]


def test_float_tiff_outside_unit_range_is_stretched(tmp_path: Path) -> None:
    data = np.array([[-1.0, 0.0, 3.0]], dtype=np.float32)
    loaded = read_image(write_image(tmp_path / "hdr.tiff", data))
    # (v + 1) * 255 / 4 -> 0, 63.75, 255
    assert loaded.image[0, :, 2].tolist() == [0, 64, 255]
    assert any("stretched" in warning for warning in loaded.warnings)


def composite(color: float, alpha: float, background: float) -> int:
    return round((color * alpha + background * (255 - alpha)) / 255)


def test_rgba_flattened_on_white_or_black(tmp_path: Path) -> None:
    rgba = np.array([[[200, 100, 0, 128], [10, 20, 30, 0], [40, 50, 60, 255]]], np.uint8)
    path = tmp_path / "alpha.png"
    path.write_bytes(png_bytes(rgba, color_type=6))
    for name, level in (("white", 255), ("black", 0)):
        image = load_image(path, background=name)
        expected = [[composite(c, p[3], level) for c in p[:3]] for p in rgba[0].astype(float)]
        assert image[0].tolist() == expected


def test_alpha_compositing_exact_for_every_colour_and_alpha() -> None:
    colour = np.repeat(np.arange(256, dtype=np.uint8), 256).reshape(256, 256)
    alpha = np.tile(np.arange(256, dtype=np.uint8), 256).reshape(256, 256)
    rgb = np.dstack([colour, colour, 255 - colour])
    for level in (0, 255):
        out = flatten_alpha(rgb, alpha, level).astype(int)
        for channel, values in ((0, colour), (2, 255 - colour)):
            reference = np.rint((values * alpha.astype(float) + level * (255.0 - alpha)) / 255)
            assert np.array_equal(out[:, :, channel], reference)


def test_gray_alpha_and_sixteen_bit_rgba(tmp_path: Path) -> None:
    gray_alpha = np.array([[[200, 0], [200, 255], [100, 51]]], np.uint8)
    path = tmp_path / "la.png"
    path.write_bytes(png_bytes(gray_alpha, color_type=4))
    image = load_image(path)
    assert image[0, :, 0].tolist() == [255, 200, composite(100, 51, 255)]
    rgba16 = np.array([[[65535, 0, 0, 65535], [0, 0, 65535, 0]]], np.uint16)
    path16 = tmp_path / "rgba16.png"
    path16.write_bytes(png_bytes(rgba16, color_type=6))
    assert load_image(path16, background="black")[0].tolist() == [[255, 0, 0], [0, 0, 0]]


def test_unknown_background_is_refused(tmp_path: Path) -> None:
    path = write_image(tmp_path / "x.png", rgb_test_image())
    with pytest.raises(SourceError, match="purple"):
        load_image(path, background="purple")


def test_cmyk_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    path.write_bytes(CMYK_JPEG)
    image = load_image(path)
    assert_rgb8(image, (8, 16))
    assert np.abs(image[4, 2].astype(int) - (255, 0, 0)).max() < 20
    assert np.abs(image[4, 13].astype(int) - (0, 0, 255)).max() < 20


def test_animated_gif_gives_first_frame(tmp_path: Path) -> None:
    if not hasattr(cv2, "imencodeanimation"):
        pytest.skip("this OpenCV cannot write animated GIFs")
    first = np.zeros((12, 16, 3), np.uint8)
    first[:, :8] = (0, 0, 255)  # BGR red on the left
    second = np.full((12, 16, 3), 255, np.uint8)
    animation = cv2.Animation()
    animation.frames = [first, second]
    animation.durations = [100, 100]
    ok, encoded = cv2.imencodeanimation(".gif", animation)
    assert ok
    path = tmp_path / "anim.gif"
    path.write_bytes(bytes(encoded))
    image = load_image(path)
    assert_rgb8(image, (12, 16))
    assert np.abs(image[6, 2].astype(int) - (255, 0, 0)).max() < 30  # red, first frame
    assert image[6, 12].max() < 30  # black, not the white second frame


def exif_with_orientation(value: int) -> np.ndarray:
    """A TIFF-structured EXIF block (little-endian) with one tag: Orientation = value."""
    block = (
        b"II*\x00"
        + struct.pack("<I", 8)
        + struct.pack("<H", 1)
        + struct.pack("<HHIHH", 0x0112, 3, 1, value, 0)
        + struct.pack("<I", 0)
    )
    return np.frombuffer(block, np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_opencv(tmp_path: Path, orientation: int) -> None:
    if not hasattr(cv2, "imencodeWithMetadata"):
        pytest.skip("this OpenCV cannot write EXIF metadata")
    rgb = rgb_test_image(10, 14)
    ok, encoded = cv2.imencodeWithMetadata(
        ".png", bgr(rgb), [cv2.IMAGE_METADATA_EXIF], [exif_with_orientation(orientation)]
    )
    assert ok
    path = tmp_path / f"oriented{orientation}.png"
    path.write_bytes(bytes(encoded))
    # OpenCV's IMREAD_COLOR applies EXIF orientation itself: an independent reference.
    reference = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert np.array_equal(load_image(path), reference)


def test_orientation_six_turns_clockwise() -> None:
    stored = np.arange(6, dtype=np.uint8).reshape(2, 3)  # [[0 1 2] [3 4 5]]
    upright = apply_orientation(stored, 6)
    assert upright.tolist() == [[3, 0], [4, 1], [5, 2]]


def test_exif_orientation_on_jpeg(tmp_path: Path) -> None:
    if not hasattr(cv2, "imencodeWithMetadata"):
        pytest.skip("this OpenCV cannot write EXIF metadata")
    wide = np.zeros((20, 40, 3), np.uint8)
    ok, encoded = cv2.imencodeWithMetadata(
        ".jpg", wide, [cv2.IMAGE_METADATA_EXIF], [exif_with_orientation(6)]
    )
    assert ok
    path = tmp_path / "phone.jpg"
    path.write_bytes(bytes(encoded))
    assert load_image(path).shape == (40, 20, 3)  # stored landscape, shown portrait


def test_paths_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    rgb = rgb_test_image()
    path = write_image(tmp_path / "dossier été 文件" / "my image ñ.png", bgr(rgb))
    assert np.array_equal(load_image(path), rgb)
    assert np.array_equal(open_source(str(path)).read(), rgb)


def test_one_pixel_image(tmp_path: Path) -> None:
    path = write_image(tmp_path / "dot.png", np.array([[[10, 20, 30]]], np.uint8))
    assert load_image(path).tolist() == [[[30, 20, 10]]]


def test_content_decides_not_extension(tmp_path: Path) -> None:
    rgb = rgb_test_image()
    ok, encoded = cv2.imencode(".png", bgr(rgb))
    assert ok
    path = tmp_path / "actually_png.jpg"
    path.write_bytes(encoded.tobytes())
    assert np.array_equal(load_image(path), rgb)


def test_very_large_image_loads_and_previews(tmp_path: Path) -> None:
    big = np.zeros((4000, 5000, 3), np.uint8)  # 20 MP
    big[:, 2500:] = (0, 255, 0)
    path = write_image(tmp_path / "big.jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 80])
    source = ImageSource(path)
    assert source.full_image.shape == (4000, 5000, 3)
    frame = source.read()
    assert frame.shape[0] * frame.shape[1] <= sources.DEFAULT_PREVIEW_PIXELS
    assert source.preview_scale == pytest.approx(frame.shape[1] / 5000)
    assert any("preview" in warning for warning in source.warnings)
    assert abs(frame.shape[1] / frame.shape[0] - 1.25) < 0.01


def test_preview_size_by_hand() -> None:
    # sqrt(2e6 / 24e6) = 0.288675...: 4000 -> 1154.7, 6000 -> 1732.05
    assert preview_size((4000, 6000, 3), 2_000_000) == (1154, 1732)
    assert preview_size((100, 200), 2_000_000) == (100, 200)
    small = np.zeros((10, 10, 3), np.uint8)
    same, scale = reduce_for_preview(small, 1000)
    assert same is small
    assert scale == 1.0
    reduced, scale = reduce_for_preview(np.full((40, 40, 3), 7, np.uint8), 100)
    assert reduced.shape == (10, 10, 3)
    assert scale == 0.25
    assert (reduced == 7).all()


# -- files that do not load ----------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "nowhere.png", "not found")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "pictures.png"
    folder.mkdir()
    expect_error(folder, "folder")


def test_dangling_link(tmp_path: Path) -> None:
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "gone.png")
    expect_error(link, "link")


def test_unreadable_permissions(tmp_path: Path) -> None:
    path = write_image(tmp_path / "secret.png", rgb_test_image())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        expect_error(path, "permission")
    finally:
        path.chmod(0o644)


def test_permission_error_is_reported_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads through chmod 000, so also raise the OS error the way a user would get it."""
    path = write_image(tmp_path / "locked.png", rgb_test_image())
    real_open = os.open

    def refusing_open(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    expect_error(path, "permission denied")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    expect_error(path, "empty")


def test_text_with_image_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not a picture\n" * 5)
    expect_error(path, "text")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.jpg"
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)))
    expect_error(path, "not a JPG image")


def test_valid_header_then_garbage(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 40 + b"IEND\xaeB`\x82")
    expect_error(path, "damaged")


def video_frame(index: int) -> np.ndarray:
    """BGR frame: gray level 20 + 40 i, with a red square top-left to catch channel swaps."""
    frame = np.full((48, 64, 3), 20 + 40 * index, np.uint8)
    frame[:16, :16] = (0, 0, 255)
    return frame


def make_video(path: Path, frames: int, fps: float = 25.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (64, 48))
    assert writer.isOpened()
    for index in range(frames):
        writer.write(video_frame(index))
    writer.release()
    return path


def test_video_given_as_image(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip.avi", 2)
    expect_error(path, "video")


def encoded_noise(suffix: str, params: list[int] | None = None) -> bytes:
    noise = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(suffix, cv2.GaussianBlur(noise, (5, 5), 2), params or [])
    assert ok
    return encoded.tobytes()


def test_truncated_png(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    data = encoded_noise(".png")
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated PNG")


def test_truncated_jpeg_inside_headers_fails(tmp_path: Path) -> None:
    path = tmp_path / "cut_header.jpg"
    path.write_bytes(encoded_noise(".jpg")[:100])
    expect_error(path, "truncated JPEG")


def test_truncated_jpeg_with_some_data_loads_with_warning(tmp_path: Path) -> None:
    data = encoded_noise(".jpg")
    path = tmp_path / "cut_data.jpg"
    path.write_bytes(data[: int(len(data) * 0.6)])
    loaded = read_image(path)
    assert_rgb8(loaded.image, (120, 160))
    assert any("truncated" in warning for warning in loaded.warnings)
    complete = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), 1), cv2.COLOR_BGR2RGB)
    # the top rows decoded as in the whole file
    assert np.array_equal(loaded.image[:16], complete[:16])


@pytest.mark.parametrize("index", [10_000, 10**30, "99999999999999999999999"])
def test_an_absurd_camera_index_is_refused_in_plain_words(index):
    with pytest.raises(SourceError, match=r"no such camera \(indices go from 0 to 9999\)"):
        open_source(index)


def test_a_file_url_opens_the_file_it_names(tmp_path):
    picture = tmp_path / "my photo.png"
    cv2.imwrite(str(picture), np.full((6, 8, 3), 40, np.uint8))
    for url in (picture.as_uri(), "file://localhost" + picture.as_uri()[len("file://") :]):
        source = open_source(url)
        try:
            assert source.name == "my photo.png" and source.read().shape == (6, 8, 3)
        finally:
            source.close()
