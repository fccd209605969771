"""PyTorch on the GPU, the peer for bench/cuda.js: prints one JSON object.

cuBLAS matmul 4096^3 / 8192^3 in fp32 with TF32 off, TF32 and BF16; cuDNN conv 8x64x56x56 3x3 p1;
sum of 1 GiB; device-to-device copy bandwidth (bytes read + written per second). Timed with CUDA
events after a warm-up; median of the repetitions.
"""
import json
import statistics
import sys


def main():
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"PyTorch is not installed: {e}"}))
        return
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch.cuda.is_available() is False"}))
        return
    dev = torch.device("cuda:0")

    def timed(fn, reps=20):
        fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(reps):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) / 1e3)
        return statistics.median(times)

    results = {}
    for n in (4096, 8192):
        for name, dtype, tf32 in (("fp32", torch.float32, False), ("tf32", torch.float32, True), ("bf16", torch.bfloat16, False)):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            a = torch.randn(n, n, device=dev, dtype=dtype)
            b = torch.randn(n, n, device=dev, dtype=dtype)
            s = timed(lambda: torch.matmul(a, b), reps=10 if n == 8192 else 20)
            results[f"matmul {n} {name}"] = {"rate": 2 * n**3 / s / 1e12, "unit": "TFLOP/s", "ms": s * 1e3}
            del a, b
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False  # fp32 conv, as lepton's
    torch.backends.cudnn.benchmark = True
    x = torch.randn(8, 64, 56, 56, device=dev)
    w = torch.randn(64, 64, 3, 3, device=dev)
    s = timed(lambda: torch.nn.functional.conv2d(x, w, padding=1))
    results["conv 8x64x56x56 3x3"] = {"rate": 2 * 8 * 64 * 56 * 56 * 64 * 9 / s / 1e12, "unit": "TFLOP/s", "ms": s * 1e3}
    n = (1 << 30) // 4
    big = torch.randn(n, device=dev)
    s = timed(lambda: big.sum())
    results["sum 1GiB"] = {"rate": (1 << 30) / s / 1e9, "unit": "GB/s", "ms": s * 1e3}
    out = torch.empty_like(big)
    s = timed(lambda: out.copy_(big))
    results["d2d copy"] = {"rate": 2 * (1 << 30) / s / 1e9, "unit": "GB/s", "ms": s * 1e3}
    print(json.dumps({"version": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(0), "results": results}))


if __name__ == "__main__":
    sys.exit(main())
