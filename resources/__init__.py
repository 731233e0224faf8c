"""The pictures and the icon ConvLab ships (installed as the package ``convlab.resources``)."""
