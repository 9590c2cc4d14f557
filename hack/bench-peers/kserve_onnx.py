"""KServe's Python model server serving an ONNX model with ONNX Runtime, as KServe's docs set up a custom model
(a kserve.Model subclass whose load() opens the session and predict() runs it, started with ModelServer). The peer
benchmark (hack/bench-peers.sh) runs it; nothing else does.

    python kserve_onnx.py --model_name bench --model_path resnet50.onnx --http_port 8080 --grpc_port 8081 \
        --intra_op_threads 2

predict() is synchronous, as in KServe's custom-model examples: the server runs one inference at a time (KServe calls a
synchronous predict on its event loop), so ONNX Runtime gets every CPU for each call (--intra_op_threads). KServe's
Python server has no dynamic batching of its own (its batcher is the Kubernetes agent sidecar).
"""
import argparse

import kserve
import numpy as np
import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer


class OnnxModel(Model):
    def __init__(self, name, path, intra_op_threads):
        super().__init__(name)
        self.path = path
        self.intra_op_threads = intra_op_threads
        self.session = None
        self.load()

    def load(self):
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.intra_op_threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {i.name: i.as_numpy().astype(np.float32, copy=False) for i in payload.inputs}
        outputs = self.session.run(None, feeds)
        infer_outputs = []
        for meta, value in zip(self.session.get_outputs(), outputs):
            out = InferOutput(name=meta.name, shape=list(value.shape), datatype="FP32")
            out.set_data_from_numpy(value, binary_data=payload.from_grpc)
            infer_outputs.append(out)
        return InferResponse(model_name=self.name, infer_outputs=infer_outputs, response_id=payload.id or "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_path", required=True)
    parser.add_argument("--intra_op_threads", type=int, default=2)
    args, _ = parser.parse_known_args()
    ModelServer().start([OnnxModel(args.model_name, args.model_path, args.intra_op_threads)])
