"""Before the peer benchmark times anything: every server answers the benchmark's image with the logits ONNX Runtime
computes in this process, asked through KServe's own SDK clients (InferenceRESTClient, v2 protocol, and
InferenceGRPCClient with raw contents), so the three servers are known to compute the same thing and the SDK's
clients are known to work with this worker. Run by hack/bench-peers.sh in the KServe environment.

    python check_answers.py MODEL.onnx NAME=HTTP_BASE_URL,GRPC_HOST:PORT ...
"""
import asyncio
import sys

import numpy as np
import onnxruntime as ort
from kserve import InferenceGRPCClient, InferenceRESTClient, InferInput, InferRequest
from kserve.inference_client import RESTConfig


def image():
    # The same values as WorkerBenchmark.image (java.util.Random(50).nextFloat()) are not needed here: any input will
    # do to compare servers, so a seeded numpy image of the benchmark's shape.
    return np.random.default_rng(50).random((1, 3, 224, 224), dtype=np.float32)


async def check(name, rest, grpc_address, expected, x):
    request = InferRequest(
        model_name="bench",
        infer_inputs=[InferInput("input", list(x.shape), "FP32", x)],
        request_id="check",
    )
    client = InferenceRESTClient(RESTConfig(protocol="v2", timeout=120))
    answer = await client.infer(rest, request, model_name="bench")
    rest_logits = answer.outputs[0].as_numpy().reshape(expected.shape)
    await client.close()
    grpc_request = InferRequest(model_name="bench", infer_inputs=[InferInput("input", list(x.shape), "FP32")],
                                request_id="check")
    grpc_request.inputs[0].set_data_from_numpy(x, binary_data=True)
    grpc_client = InferenceGRPCClient(grpc_address, timeout=120)
    grpc_answer = await grpc_client.infer(grpc_request)
    grpc_logits = grpc_answer.outputs[0].as_numpy().reshape(expected.shape)
    await grpc_client.close()
    for how, got in (("REST", rest_logits), ("gRPC", grpc_logits)):
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4, err_msg=f"{name} over {how}")
    print(f"{name}: REST and gRPC answers equal ONNX Runtime's (max |diff| "
          f"{max(np.abs(rest_logits - expected).max(), np.abs(grpc_logits - expected).max()):.2e})")


async def main():
    model = sys.argv[1]
    x = image()
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    for target in sys.argv[2:]:
        name, addresses = target.split("=", 1)
        rest, grpc_address = addresses.split(",")
        await check(name, rest, grpc_address, expected, x)


if __name__ == "__main__":
    asyncio.run(main())
