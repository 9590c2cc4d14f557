package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Dynamic batching of concurrent requests inside each worker. */
public class BatchingSpec {

    @Min(1)
    @Max(1024)
    @Default("8")
    @JsonPropertyDescription("Most rows merged into one inference call: the sum of the merged requests' first (batch)"
            + " dimensions. A single request with more rows runs alone.")
    private Integer maxBatchSize = 8;

    @Min(0)
    @Max(10000)
    @Default("5")
    @JsonPropertyDescription("Longest a request waits for others to join its batch, in milliseconds.")
    private Integer maxBatchDelayMillis = 5;

    @Min(1)
    @Max(100000)
    @Default("256")
    @JsonPropertyDescription("Requests a replica queues before it answers 503 with Retry-After.")
    private Integer queueLimit = 256;

    public Integer getMaxBatchSize() {
        return maxBatchSize;
    }

    public void setMaxBatchSize(Integer maxBatchSize) {
        this.maxBatchSize = maxBatchSize;
    }

    public Integer getMaxBatchDelayMillis() {
        return maxBatchDelayMillis;
    }

    public void setMaxBatchDelayMillis(Integer maxBatchDelayMillis) {
        this.maxBatchDelayMillis = maxBatchDelayMillis;
    }

    public Integer getQueueLimit() {
        return queueLimit;
    }

    public void setQueueLimit(Integer queueLimit) {
        this.queueLimit = queueLimit;
    }
}
