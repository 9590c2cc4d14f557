"""Seldon MLServer serving an ONNX model with ONNX Runtime through a custom runtime, as MLServer's docs set one up
(MLServer ships no ONNX runtime): an MLModel whose load() opens the session and predict() runs it, with
NumpyCodec decoding inputs and encoding outputs. Used by the peer benchmark (hack/bench-peers.sh) only.

model-settings.json: implementation onnx_runtime.OnnxModel, parameters.uri the .onnx file,
parameters.extra.intra_op_threads the ONNX Runtime threads per call.
"""
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse


class OnnxModel(MLModel):
    async def load(self) -> bool:
        extra = (self.settings.parameters.extra or {}) if self.settings.parameters else {}
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(extra.get("intra_op_threads", 1))
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            self.settings.parameters.uri, options, providers=["CPUExecutionProvider"])
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        outputs = self._session.run(None, feeds)
        return InferenceResponse(
            model_name=self.name,
            id=payload.id,
            outputs=[NumpyCodec.encode_output(name=meta.name, payload=value)
                     for meta, value in zip(self._session.get_outputs(), outputs)],
        )
