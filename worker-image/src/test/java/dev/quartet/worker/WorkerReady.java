package dev.quartet.worker;

import static io.restassured.RestAssured.given;

/** Waits (bounded) until the worker under test reports ready: loading runs in the background. */
final class WorkerReady {

    private WorkerReady() {}

    static void await() throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (given().get("/q/health/ready").statusCode() == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("worker not ready after 60 s");
    }
}
