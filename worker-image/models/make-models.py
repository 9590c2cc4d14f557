#!/usr/bin/python3
"""Exports the worker's test models (TorchScript + ONNX) with random, seeded weights.

Needs Debian's python3-torch (1.13), python3-torchvision and python3-onnx:
    apt-get install -y python3-torch python3-torchvision python3-onnx
Use /usr/bin/python3 (a pyenv `python3` on PATH usually lacks torch).

    /usr/bin/python3 worker-image/models/make-models.py            # small models, committed
    /usr/bin/python3 worker-image/models/make-models.py --resnet50 .bench/models   # ~100 MB each, benchmark only

TorchScript files embed `quartet.json` (input/output names, datatypes, shapes) as a TorchScript
extra file, because TorchScript itself records no shapes or dtypes; the worker reads it. ONNX
files need nothing extra: ONNX Runtime reports names, types and shapes.
"""
import argparse
import json
import os

import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    """The ResNet basic block: two 3x3 convolutions with batch norm and a residual shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class TinyResNet(nn.Module):
    """A ResNet-shaped classifier small enough to commit: [N,3,32,32] -> [N,10] logits."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, image):
        x = self.layer2(self.layer1(self.stem(image)))
        return self.fc(torch.flatten(self.pool(x), 1))


class MixedTypes(nn.Module):
    """Exercises integer and boolean tensors: INT64 ids, INT32 weights, BOOL mask in; INT64, INT32, BOOL out."""

    def forward(self, ids, weights, mask):
        kept = mask & (ids > 0)
        weighted_sum = (ids * weights.to(torch.int64) * kept.to(torch.int64)).sum(dim=1)
        count = kept.sum(dim=1).to(torch.int32)
        return weighted_sum, count, kept


class SymbolicMlp(nn.Module):
    """A classifier over a flattened 8x8 image, exported with symbolic height and width: ONNX says
    [batch, 3, height, width], yet only 8x8 works (the linear layer takes 3*8*8 values)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 8 * 8, 4)

    def forward(self, image):
        return torch.softmax(self.fc(torch.flatten(image, 1)), dim=1)


def randomize_batch_norm(model):
    """Gives batch-norm layers non-trivial statistics so outputs are not near-constant."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def export(model, name, out_dir, example, inputs, outputs, plain=False):
    """Writes <name>.pt (traced TorchScript with quartet.json) and <name>.onnx (dynamic batch); with plain, also
    <name>-plain.pt: the same module saved as users save theirs, torch.jit.save(module, path) and nothing else."""
    model.eval()
    meta = {"inputs": inputs, "outputs": outputs}
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        pt = os.path.join(out_dir, name + ".pt")
        torch.jit.save(traced, pt, _extra_files={"quartet.json": json.dumps(meta)})
        if plain:
            plain_pt = os.path.join(out_dir, name + "-plain.pt")
            torch.jit.save(traced, plain_pt)
            print(f"wrote {plain_pt} ({os.path.getsize(plain_pt)} bytes)")
        onnx_path = os.path.join(out_dir, name + ".onnx")
        dynamic = {t["name"]: {0: "batch"} for t in inputs + outputs}
        torch.onnx.export(model, example, onnx_path, opset_version=13,
                          input_names=[t["name"] for t in inputs],
                          output_names=[t["name"] for t in outputs],
                          dynamic_axes=dynamic, do_constant_folding=True)
    for path in (pt, onnx_path):
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def tensor(name, datatype, shape):
    return {"name": name, "datatype": datatype, "shape": shape}


def small_models(out_dir):
    torch.manual_seed(20240601)
    resnet = TinyResNet()
    randomize_batch_norm(resnet)
    export(resnet, "tiny-resnet", out_dir, (torch.randn(2, 3, 32, 32),),
           [tensor("image", "FP32", [-1, 3, 32, 32])], [tensor("logits", "FP32", [-1, 10])], plain=True)
    ids = torch.tensor([[1, 2, 0, 4], [5, -1, 7, 8]], dtype=torch.int64)
    weights = torch.tensor([[1, 1, 1, 1], [2, 2, 2, 2]], dtype=torch.int32)
    mask = torch.tensor([[True, False, True, True], [True, True, False, True]])
    export(MixedTypes(), "mixed-types", out_dir, (ids, weights, mask),
           [tensor("ids", "INT64", [-1, 4]), tensor("weights", "INT32", [-1, 4]), tensor("mask", "BOOL", [-1, 4])],
           [tensor("weighted_sum", "INT64", [-1]), tensor("count", "INT32", [-1]), tensor("kept", "BOOL", [-1, 4])],
           plain=True)
    torch.manual_seed(8)
    mlp = SymbolicMlp().eval()
    symbolic = os.path.join(out_dir, "symbolic-mlp.onnx")
    with torch.no_grad():
        torch.onnx.export(mlp, (torch.randn(1, 3, 8, 8),), symbolic, opset_version=13,
                          input_names=["image"], output_names=["probabilities"],
                          dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                                        "probabilities": {0: "batch"}},
                          do_constant_folding=True)
    print(f"wrote {symbolic} ({os.path.getsize(symbolic)} bytes)")


def resnet50(out_dir):
    import torchvision
    torch.manual_seed(50)
    model = torchvision.models.resnet50(weights=None)
    export(model, "resnet50", out_dir, (torch.randn(1, 3, 224, 224),),
           [tensor("input", "FP32", [-1, 3, 224, 224])], [tensor("logits", "FP32", [-1, 1000])])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resnet50", metavar="DIR", help="write the ResNet-50-shaped benchmark models to DIR instead")
    args = parser.parse_args()
    if args.resnet50:
        os.makedirs(args.resnet50, exist_ok=True)
        resnet50(args.resnet50)
    else:
        small_models(os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
