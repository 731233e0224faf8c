"""Benchmarks: ``python -m convlab.bench {engine,cnn,gui,soak,all}``.

Speed goals live here, not in timed tests: every figure is measured beside its baseline
(bare OpenCV, PyTorch when installed) in the same run and reported as a ratio, because the
machines are shared and noisy.
"""
