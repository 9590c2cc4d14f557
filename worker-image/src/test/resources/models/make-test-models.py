#!/usr/bin/env python3
"""Writes the worker tests' tiny ONNX models with a minimal protobuf writer (no onnx package needed); run in
this directory. nonzero.onnx: x [batch, 4] FP32 -> idx [n, 2] INT64, the (row, column) of each nonzero entry,
like a detector's selected indices. identity-fp16.onnx and identity-int16.onnx: x [batch, 2] -> y = x."""
# Minimal protobuf writer for an ONNX model, no onnx package needed.
def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7f; n >>= 7
        if n: out.append(b | 0x80)
        else: out.append(b); return bytes(out)
def key(f, wt): return varint((f << 3) | wt)
def vint(f, n): return key(f, 0) + varint(n)
def ld(f, data):
    if isinstance(data, str): data = data.encode()
    return key(f, 2) + varint(len(data)) + data
def dim(v):
    return ld(1, vint(1, v) if isinstance(v, int) else ld(2, v))
def vinfo(name, elem, dims):
    shape = b"".join(dim(d) for d in dims)
    tensor = vint(1, elem) + ld(2, shape)
    return ld(1, name) + ld(2, ld(1, tensor))
def node(ins, outs, op, attrs=b""):
    return b"".join(ld(1, i) for i in ins) + b"".join(ld(2, o) for o in outs) + ld(4, op) + attrs
def model(nodes, inputs, outputs, path):
    g = b"".join(ld(1, n) for n in nodes) + ld(2, "g") + b"".join(ld(11, i) for i in inputs) + b"".join(ld(12, o) for o in outputs)
    m = vint(1, 7) + ld(2, "review") + ld(7, g) + ld(8, ld(1, "") + vint(2, 13))
    open(path, "wb").write(m)
FLOAT, INT64 = 1, 7
model([node(["x"], ["nz"], "NonZero"), node(["nz"], ["idx"], "Transpose")],
      [vinfo("x", FLOAT, ["batch", 4])], [vinfo("idx", INT64, ["n", 2])], "nonzero.onnx")
for tname, code in [("fp16", 10), ("int16", 5)]:
    model([node(["x"], ["y"], "Identity")], [vinfo("x", code, ["batch", 2])], [vinfo("y", code, ["batch", 2])],
          "identity-%s.onnx" % tname)
