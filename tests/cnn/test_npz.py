"""Model files from outside: a named pipe, an archive whose arrays declare gigabytes, a
description asking for a layer larger than the file, pickles. Each is refused with a message
naming the file, before anything large is read or built."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from convlab.cnn.model import MAX_MODEL_BYTES, Sequential, small_cnn
from convlab.cnn.npz import read_npz
from convlab.errors import ConvlabError


def npy_header_only(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """An .npy member that declares ``shape`` and holds no data at all."""
    stream = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(stream, header)
    return stream.getvalue()


def npy_of(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array, allow_pickle=True)
    return stream.getvalue()


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def load_in_thread(path: Path) -> BaseException | None:
    """Sequential.load in a thread: None if it loaded, the error if refused; fails the test
    (after unblocking the reader) if it is still waiting after a few seconds."""
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            Sequential.load(path)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # a writer that closes: EOF
        thread.join(5)
        pytest.fail(f"loading {path.name} blocked")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_called_npz_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "net.npz"
    os.mkfifo(fifo)
    error = load_in_thread(fifo)
    assert isinstance(error, ConvlabError)
    assert "net.npz" in str(error) and "named pipe" in str(error)


def test_an_archive_declaring_gigabytes_is_refused_before_reading_them(tmp_path):
    bomb = tmp_path / "bomb.npz"
    architecture = npy_of(np.array(json.dumps({"format": 1, "layers": []})))
    write_zip(bomb, {"architecture.npy": architecture, "0.weight.npy": npy_header_only((10**10,))})
    assert bomb.stat().st_size < 2000
    error = load_in_thread(bomb)
    assert isinstance(error, ConvlabError)
    message = str(error)
    assert "bomb.npz" in message and "37.3 GB" in message and "256.0 MB" in message


def test_a_deflate_bomb_within_the_file_limit_is_refused_by_its_header(tmp_path):
    """Real data this time: 300 MB of zeros compress to a few hundred kB."""
    bomb = tmp_path / "zeros.npz"
    zeros = np.zeros(300 * 2**20, np.uint8)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("architecture.npy", npy_of(np.array("{}")))
        with archive.open("0.weight.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, zeros)
    del zeros
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(ConvlabError, match=r"zeros\.npz.*300\.0 MB or more"):
        read_npz(bomb, "Model file 'zeros.npz'", max_bytes=MAX_MODEL_BYTES)


def test_a_description_asking_for_a_huge_layer_is_refused_before_building_it(tmp_path):
    path = tmp_path / "huge.npz"
    small_cnn().save(path)
    arrays = dict(np.load(path))
    header = json.loads(str(arrays["architecture"]))
    dense = next(spec for spec in header["layers"] if spec["type"] == "Dense")
    dense["config"]["in_features"] = 10**9  # 4 GB of random weights, were it built
    arrays["architecture"] = np.array(json.dumps(header))
    np.savez(path, **arrays)
    error = load_in_thread(path)
    assert isinstance(error, ConvlabError)
    assert "huge.npz" in str(error) and "asks for" in str(error)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "pickle.npz"
    write_zip(path, {"architecture.npy": npy_of(np.array([{"a": 1}], dtype=object))})
    with pytest.raises(ConvlabError, match=r"pickle\.npz.*Python objects"):
        Sequential.load(path)


def test_a_model_round_trips_through_the_checked_reader(tmp_path):
    model = small_cnn()
    path = tmp_path / "net.npz"
    model.save(path)
    loaded = Sequential.load(path)
    for mine, theirs in zip(model.state(), loaded.state(), strict=True):
        for key in mine:
            np.testing.assert_array_equal(mine[key], theirs[key])
