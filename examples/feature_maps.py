# %% [markdown]
# # A bank of kernels, the way one CNN layer sees a picture
#
#     python examples/feature_maps.py [OUTPUT_FOLDER]
#
# A notebook-style script: each `# %%` cell runs on its own in Jupyter, VS Code or Spyder, or
# the whole file runs as a script. It builds the feature-map bank the app's Feature maps panel
# shows, from the engine alone (no window): the same kernels, the same ReLU and pooling, the
# same pictures. Without a folder the files go to a new temporary folder, whose name is printed.

# %%
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from convlab.engine.bank_presets import edge_bank
from convlab.engine.export import export_feature_maps, write_png
from convlab.engine.pipeline import Pipeline, shrink
from convlab.engine.sources import default_image_path, load_image

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="convlab-maps-"))
folder.mkdir(parents=True, exist_ok=True)
print(f"writing to {folder}")

# %% [markdown]
# ## The picture and the bank
# The edge bank (Sobel and Prewitt in x and y, and a Laplacian): one layer of five filters. The
# engine works on numpy arrays: HxWx3 uint8 in, float32 maps out.

# %%
picture = shrink(load_image(default_image_path()), 480)
bank = edge_bank()
print("picture", picture.shape, "kernels:", ", ".join(kernel.name for kernel in bank))

# %% [markdown]
# ## One layer: convolution, then ReLU, then 2x2 max pooling
# `Pipeline` is an immutable snapshot of everything the app computes; `evolve` makes a changed
# copy. `combine` adds the gradient magnitude sqrt(map1² + map2²) of the first two maps.

# %%
layer = Pipeline(bank=tuple(bank), relu=True, pool=True, combine=True)
maps, combined = layer.feature_maps(picture)
for feature_map in maps:
    low, high = feature_map.value_range
    print(
        f"{feature_map.kernel.name:10s} {feature_map.values.shape}  values {low:.0f} .. {high:.0f}"
    )

# %% [markdown]
# ## A contact sheet of the maps, as the panel draws them
# Each map's `image` is its display picture (signed maps blue/red around zero). Without the
# ReLU half of every edge map is negative: compare the two sheets.


# %%
def contact_sheet(pictures: list[np.ndarray], gap: int = 6) -> np.ndarray:
    """Pictures side by side on white, top-aligned."""
    height = max(p.shape[0] for p in pictures)
    width = sum(p.shape[1] for p in pictures) + gap * (len(pictures) + 1)
    sheet = np.full((height + 2 * gap, width, 3), 255, np.uint8)
    left = gap
    for p in pictures:
        sheet[gap : gap + p.shape[0], left : left + p.shape[1]] = p
        left += p.shape[1] + gap
    return sheet


write_png(folder / "maps_relu_pool.png", contact_sheet([m.image for m in maps]))
signed, _ = layer.evolve(relu=False, pool=False).feature_maps(picture)
write_png(folder / "maps_signed.png", contact_sheet([m.image for m in signed]))
if combined is not None:
    write_png(folder / "gradient_magnitude.png", combined.image)

# %% [markdown]
# ## Every map at full resolution, as the panel's Export does
# PNG pictures and the raw float32 numbers as `.npy`, one pair per kernel.

# %%
(folder / "export").mkdir(exist_ok=True)
written = export_feature_maps(layer, picture, folder / "export")
print(f"{len(written)} files in {folder / 'export'}")
