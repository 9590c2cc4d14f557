"""The worker as users' clients see it.

NVIDIA's tritonclient (the Open Inference Protocol client Triton and KServe users have) talks over HTTP to the
packaged worker (worker-image/target/quarkus-app), started as a plain process for each committed ONNX model. Every
answer is checked against ONNX Runtime's own Python package running the same file, an oracle that shares no code
with the worker. Errors must reach the client the way a Triton server's do (an InferenceServerException with the
HTTP status). Run by hack/test.sh after the unit tests:

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
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

ROOT = pathlib.Path(__file__).resolve().parents[4]
JAR = ROOT / "worker-image" / "target" / "quarkus-app" / "quarkus-run.jar"
MODELS = ROOT / "worker-image" / "models"
READY_TIMEOUT_S = 180


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
        self.session = ort.InferenceSession(str(MODELS / model_file))
        self.port = _free_port()
        self.log = tmp / "worker.log"
        env = dict(
            os.environ,
            QUARTET_MODEL_URI=(MODELS / model_file).as_uri(),
            QUARTET_MODEL_FORMAT="onnx",
            QUARTET_MODEL_NAME=self.name,
            QUARKUS_HTTP_HOST="127.0.0.1",
            QUARKUS_HTTP_PORT=str(self.port),
            DJL_CACHE_DIR=str(tmp / "djl"),
        )
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                ["java", "-Dai.djl.offline=true", f"-Djava.io.tmpdir={tmp}", "-jar", str(JAR)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.client = httpclient.InferenceServerClient(url=f"127.0.0.1:{self.port}")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                if self.client.is_server_ready() and self.client.is_model_ready(self.name):
                    return
            except Exception:  # not listening yet
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker was not ready after {READY_TIMEOUT_S} s:\n{self.tail()}")
            time.sleep(0.5)

    def tail(self):
        return "\n".join(self.log.read_text().splitlines()[-30:])

    def stop(self):
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module", params=["tiny-resnet.onnx", "mixed-types.onnx"])
def worker(request, tmp_path_factory):
    if not JAR.is_file():
        # never a skip: a missing build product is a failure (CI and hack/test.sh build it first)
        pytest.fail(f"{JAR} is missing: build it with ./mvnw -pl worker-image package -DskipTests")
    w = Worker(request.param, tmp_path_factory.mktemp(request.param))
    yield w
    w.stop()


def _infer(worker, inputs, binary):
    requested = []
    for name, value in inputs.items():
        t = httpclient.InferInput(name, list(value.shape), np_to_triton_dtype(value.dtype))
        t.set_data_from_numpy(value, binary_data=binary)
        requested.append(t)
    outputs = [httpclient.InferRequestedOutput(o.name, binary_data=binary) for o in worker.session.get_outputs()]
    return worker.client.infer(worker.name, requested, outputs=outputs)


def _assert_same(expected, actual, name):
    assert actual is not None, f"no output {name}"
    assert actual.dtype == expected.dtype, f"{name}: {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{name}: {actual.shape} != {expected.shape}"
    if expected.dtype == np.float32:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=name)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=name)


def test_metadata_names_the_models_tensors(worker):
    metadata = worker.client.get_model_metadata(worker.name)
    assert metadata["name"] == worker.name
    assert [i["name"] for i in metadata["inputs"]] == [i.name for i in worker.session.get_inputs()]
    assert [o["name"] for o in metadata["outputs"]] == [o.name for o in worker.session.get_outputs()]


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("rows", [1, 3])
def test_answers_match_onnx_runtime(worker, rows, binary):
    inputs = _onnx_inputs(worker.session, rows, np.random.default_rng(rows))
    expected = worker.session.run(None, inputs)
    result = _infer(worker, inputs, binary)
    for output, value in zip(worker.session.get_outputs(), expected):
        _assert_same(value, result.as_numpy(output.name), output.name)


def test_an_unknown_input_is_a_400_the_client_raises(worker):
    inputs = _onnx_inputs(worker.session, 1, np.random.default_rng(0))
    first = next(iter(inputs))
    inputs["no_such_input"] = inputs.pop(first)
    with pytest.raises(InferenceServerException) as raised:
        _infer(worker, inputs, binary=False)
    assert raised.value.status() == "400"
    assert "no_such_input" in raised.value.message() or first in raised.value.message()


def test_an_unknown_model_is_a_404_the_client_raises(worker):
    with pytest.raises(InferenceServerException) as raised:
        worker.client.get_model_metadata("no-such-model")
    assert raised.value.status() == "404"
