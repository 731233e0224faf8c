"""LeNet-5 on real handwritten digits, chosen and trained from the Train tab as a person would:
MNIST files, the LeNet-5 network, Train. Skipped, saying where it looked, without the files
(CONVLAB_MNIST_DIR names their folder; see ``convlab.cnn.data.mnist_test_dir``)."""

from __future__ import annotations

import pytest

from convlab.cnn.data import MNIST_DIR_VARIABLE, MNIST_TEST_FILES, mnist_test_dir
from convlab.cnn.recipe import conv_layers
from convlab.ui.state import PlaygroundState
from convlab.ui.training.tab import TrainingTab
from convlab.ui.training.webcam import WebcamClasses

IMAGES, LABELS = (mnist_test_dir() / name for name in MNIST_TEST_FILES)

pytestmark = pytest.mark.skipif(
    not IMAGES.exists(), reason=f"no MNIST files in {mnist_test_dir()} (set {MNIST_DIR_VARIABLE})"
)


def test_lenet5_learns_real_mnist_digits_in_the_train_tab(qtbot, tmp_path):
    tab = TrainingTab(
        PlaygroundState(), webcam_classes=WebcamClasses(autosave_path=tmp_path / "w.npz")
    )
    qtbot.addWidget(tab)
    tab.data.set_kind("idx")
    tab.data.images_edit.setText(str(IMAGES))
    tab.data.labels_edit.setText(str(LABELS))
    tab.data.count_box.setValue(3000)  # the most to use: a random 3,000 of the 10,000
    settings = tab.settings
    settings.network_box.setCurrentIndex(settings.network_box.findData("lenet5"))
    settings.epochs_box.setValue(1)
    tab.train_button.click()
    qtbot.waitUntil(lambda: not tab.is_training() and tab.running_threads() == [], timeout=120_000)
    dataset = tab.session.dataset
    assert dataset.input_shape == (1, 32, 32)  # 28 x 28 digits centred in LeNet-5's 32 x 32
    assert list(dataset.class_names) == [str(digit) for digit in range(10)]
    assert len(dataset.val_labels) == 450  # 15 % of 3,000, kept by the window
    model = tab.current_model()
    assert model.num_parameters == 61_706
    assert [layer.out_channels for layer in conv_layers(model)] == [6, 16, 120]
    accuracy = tab.curves.rows[-1]["val_accuracy"]
    # 87.3 % here; chance is 10 %
    assert accuracy >= 0.8, f"LeNet-5 after one pass over 2,550 real digits: {accuracy:.1%}"
    _, measured = model.evaluate(dataset.val_images, dataset.val_labels)
    assert measured == pytest.approx(accuracy)
    tab.shutdown()
