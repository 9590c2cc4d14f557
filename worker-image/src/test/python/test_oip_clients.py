"""The worker as users' clients see it.

NVIDIA's tritonclient (the Open Inference Protocol clients Triton and KServe users have), over HTTP (JSON and the
binary tensor extension) and over gRPC, talks to the packaged worker (worker-image/target/quarkus-app), started as a
plain process for each committed model: the ONNX files, and TorchScript files saved with plain torch.jit.save (no
extra file: inputs go by position, outputs are named OUTPUT__<i>, as with Triton's PyTorch backend). Every answer is
checked against ONNX Runtime's own Python package running the ONNX file of the same model, an oracle that shares no
code with the worker. Errors must reach the client the way a Triton server's do (an InferenceServerException with
the HTTP status, or the gRPC status code). Run by hack/test.sh after the unit tests:

    "$(hack/python-env.sh)" -m pytest worker-image/src/test/python
"""

import os
import pathlib
import socket
import subprocess
import time

import numpy as np
import onnxruntime as ort
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

ROOT = pathlib.Path(__file__).resolve().parents[4]
JAR = ROOT / "worker-image" / "target" / "quarkus-app" / "quarkus-run.jar"
MODELS = ROOT / "worker-image" / "models"
READY_TIMEOUT_S = 180

# served file -> the ONNX file of the same model, the oracle's
SERVED = {
    "tiny-resnet.onnx": "tiny-resnet.onnx",
    "mixed-types.onnx": "mixed-types.onnx",
    "tiny-resnet-plain.pt": "tiny-resnet.onnx",
    "mixed-types-plain.pt": "mixed-types.onnx",
}
PROTOCOLS = ["http-json", "http-binary", "grpc"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _onnx_inputs(session, rows, rng):
    """Random inputs for every input of the model, `rows` in the batch dimension."""
    inputs = {}
    for i in session.get_inputs():
        shape = [rows] + [d for d in i.shape[1:]]
        if i.type == "tensor(float)":
            inputs[i.name] = rng.standard_normal(shape).astype(np.float32)
        elif i.type == "tensor(int64)":
            inputs[i.name] = rng.integers(-5, 6, shape).astype(np.int64)
        elif i.type == "tensor(int32)":
            inputs[i.name] = rng.integers(-5, 6, shape).astype(np.int32)
        elif i.type == "tensor(bool)":
            inputs[i.name] = rng.integers(0, 2, shape).astype(np.bool_)
        else:
            raise AssertionError(f"no generator for {i.type}")
    return inputs


class Worker:
    def __init__(self, model_file, tmp):
        self.name = model_file.split(".")[0]
        self.plain = model_file.endswith(".pt")
        self.session = ort.InferenceSession(str(MODELS / SERVED[model_file]))
        self.port = _free_port()
        self.grpc_port = _free_port()
        self.log = tmp / "worker.log"
        env = dict(
            os.environ,
            QUARTET_MODEL_URI=(MODELS / model_file).as_uri(),
            QUARTET_MODEL_NAME=self.name,
            QUARKUS_HTTP_HOST="127.0.0.1",
            QUARKUS_HTTP_PORT=str(self.port),
            QUARKUS_GRPC_SERVER_HOST="127.0.0.1",
            QUARKUS_GRPC_SERVER_PORT=str(self.grpc_port),
            DJL_CACHE_DIR=str(tmp / "djl"),
        )
        env.pop("NVIDIA_VISIBLE_DEVICES", None)  # no device given: the CPU is the device
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                ["java", "-Dai.djl.offline=true", f"-Djava.io.tmpdir={tmp}", "-jar", str(JAR)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.http = httpclient.InferenceServerClient(url=f"127.0.0.1:{self.port}")
        self.grpc = grpcclient.InferenceServerClient(url=f"127.0.0.1:{self.grpc_port}")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                if self.http.is_server_ready() and self.http.is_model_ready(self.name):
                    return
            except Exception:  # not listening yet
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker was not ready after {READY_TIMEOUT_S} s:\n{self.tail()}")
            time.sleep(0.5)

    def input_name(self, position, onnx_name):
        """What a client calls an input: the ONNX name, or INPUT__<position> for a model nothing describes."""
        return f"INPUT__{position}" if self.plain else onnx_name

    def output_name(self, position, onnx_name):
        return f"OUTPUT__{position}" if self.plain else onnx_name

    def tail(self):
        return "\n".join(self.log.read_text().splitlines()[-30:])

    def stop(self):
        self.http.close()
        self.grpc.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module", params=list(SERVED))
def worker(request, tmp_path_factory):
    if not JAR.is_file():
        # never a skip: a missing build product is a failure (CI and hack/test.sh build it first)
        pytest.fail(f"{JAR} is missing: build it with ./mvnw -pl worker-image package -DskipTests")
    w = Worker(request.param, tmp_path_factory.mktemp(request.param))
    yield w
    w.stop()


def _infer(worker, inputs, protocol, outputs=None):
    """Sends `inputs` ({onnx name: array}, in the model's order) the way `protocol` does; returns (result, names)."""
    client = grpcclient if protocol == "grpc" else httpclient
    binary = protocol == "http-binary"
    requested = []
    for position, (name, value) in enumerate(inputs.items()):
        t = client.InferInput(worker.input_name(position, name), list(value.shape), np_to_triton_dtype(value.dtype))
        if protocol == "grpc":
            t.set_data_from_numpy(value)  # raw_input_contents, as tritonclient always sends them
        else:
            t.set_data_from_numpy(value, binary_data=binary)
        requested.append(t)
    names = [worker.output_name(k, o.name) for k, o in enumerate(worker.session.get_outputs())]
    wanted = names if outputs is None else outputs
    if protocol == "grpc":
        out = [grpcclient.InferRequestedOutput(n) for n in wanted]
        return worker.grpc.infer(worker.name, requested, outputs=out), names
    out = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in wanted]
    return worker.http.infer(worker.name, requested, outputs=out), names


def _assert_same(expected, actual, name):
    assert actual is not None, f"no output {name}"
    assert actual.dtype == expected.dtype, f"{name}: {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{name}: {actual.shape} != {expected.shape}"
    if expected.dtype == np.float32:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=name)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=name)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_metadata_names_the_models_tensors(worker, protocol):
    if protocol == "grpc":
        metadata = worker.grpc.get_model_metadata(worker.name, as_json=True)
    else:
        metadata = worker.http.get_model_metadata(worker.name)
    assert metadata["name"] == worker.name
    if worker.plain:
        # nothing describes a plain TorchScript file: metadata lists no tensors rather than made-up ones
        assert metadata.get("inputs", []) == [] and metadata.get("outputs", []) == []
        if protocol == "http":
            assert metadata["parameters"]["signature"].startswith("none")
    else:
        assert [i["name"] for i in metadata["inputs"]] == [i.name for i in worker.session.get_inputs()]
        assert [o["name"] for o in metadata["outputs"]] == [o.name for o in worker.session.get_outputs()]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("rows", [1, 3])
def test_answers_match_onnx_runtime(worker, rows, protocol):
    inputs = _onnx_inputs(worker.session, rows, np.random.default_rng(rows))
    expected = worker.session.run(None, inputs)
    result, names = _infer(worker, inputs, protocol)
    for name, value in zip(names, expected):
        _assert_same(value, result.as_numpy(name), name)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_one_requested_output_comes_back_alone(worker, protocol):
    inputs = _onnx_inputs(worker.session, 2, np.random.default_rng(7))
    expected = worker.session.run(None, inputs)
    last = len(expected) - 1
    name = worker.output_name(last, worker.session.get_outputs()[last].name)
    result, _ = _infer(worker, inputs, protocol, outputs=[name])
    _assert_same(expected[last], result.as_numpy(name), name)
    response = result.get_response(as_json=True) if protocol == "grpc" else result.get_response()
    assert [o["name"] for o in response["outputs"]] == [name]


@pytest.mark.parametrize("protocol", ["http-json", "grpc"])
def test_an_unknown_input_is_an_invalid_argument_the_client_raises(worker, protocol):
    inputs = _onnx_inputs(worker.session, 1, np.random.default_rng(0))
    first = next(iter(inputs))
    client = grpcclient if protocol == "grpc" else httpclient
    requested = []
    for position, (name, value) in enumerate(inputs.items()):
        # A described model has no such input; one that nothing describes has no 8th position.
        wrong = ("INPUT__7" if worker.plain else "no_such_input") if position == 0 else worker.input_name(position, name)
        t = client.InferInput(wrong, list(value.shape), np_to_triton_dtype(value.dtype))
        t.set_data_from_numpy(value)
        requested.append(t)
    with pytest.raises(InferenceServerException) as raised:
        (worker.grpc if protocol == "grpc" else worker.http).infer(worker.name, requested)
    assert raised.value.status() == ("StatusCode.INVALID_ARGUMENT" if protocol == "grpc" else "400")
    if worker.plain:
        assert "INPUT__7" in raised.value.message() and "must be INPUT__0 to" in raised.value.message()
    else:
        assert "no_such_input" in raised.value.message() or first in raised.value.message()


@pytest.mark.parametrize("protocol", ["http-json", "grpc"])
def test_an_unknown_output_is_an_invalid_argument_the_client_raises(worker, protocol):
    inputs = _onnx_inputs(worker.session, 1, np.random.default_rng(1))
    with pytest.raises(InferenceServerException) as raised:
        _infer(worker, inputs, protocol, outputs=["OUTPUT__9"])
    assert raised.value.status() == ("StatusCode.INVALID_ARGUMENT" if protocol == "grpc" else "400")
    assert "OUTPUT__9" in raised.value.message()


def test_an_unknown_model_is_not_found_the_client_raises(worker):
    with pytest.raises(InferenceServerException) as raised:
        worker.http.get_model_metadata("no-such-model")
    assert raised.value.status() == "404"
    with pytest.raises(InferenceServerException) as raised:
        worker.grpc.get_model_metadata("no-such-model")
    assert raised.value.status() == "StatusCode.NOT_FOUND"
    assert "no-such-model" in raised.value.message()


def test_health_over_grpc(worker):
    assert worker.grpc.is_server_live()
    assert worker.grpc.is_server_ready()
    assert worker.grpc.is_model_ready(worker.name)
    assert not _model_ready_or_error(worker, "no-such-model")
    assert worker.grpc.get_server_metadata(as_json=True)["name"] == "quartet-worker"


def _model_ready_or_error(worker, name):
    try:
        return worker.grpc.is_model_ready(name)
    except InferenceServerException as e:
        assert e.status() == "StatusCode.NOT_FOUND"
        return False
