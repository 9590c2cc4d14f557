package dev.quartet.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The autoscaling rules, one case each: the signal, the bounds, the step limit and the scale-down window. */
class ReplicaRecommenderTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final ScalingPolicy QUEUE_4 =
            new ScalingPolicy(1, 10, Signal.QUEUE_DEPTH, 4, Duration.ofSeconds(60));

    private static List<ReplicaLoad> queues(double... depths) {
        return IntStream.range(0, depths.length)
                .mapToObj(i -> new ReplicaLoad("r-" + i, depths[i], depths[i] + 1))
                .toList();
    }

    @Test
    void theLoadAsksForTheSumOverTheTargetRoundedUp() {
        ScaleDecision d = ReplicaRecommender.decide(QUEUE_4, 2, List.of(), queues(6, 7), T0);
        assertThat(d.total()).isEqualTo(13);
        assertThat(d.unbounded()).isEqualTo(4);
        assertThat(d.recommended()).isEqualTo(4);
        assertThat(d.desired()).isEqualTo(4);
        assertThat(d.measured()).isEqualTo(2);
    }

    @Test
    void exactlyOnTargetKeepsTheCount() {
        ScaleDecision d = ReplicaRecommender.decide(QUEUE_4, 2, List.of(), queues(4, 3.9999999), T0);
        assertThat(d.desired()).isEqualTo(2);
    }

    @Test
    void aLoadWithinTenPercentOfWhatTheCountCarriesKeepsTheCount() {
        // 4 replicas carry 16 at target 4: 17.5 (9 % over) and 14.5 (9 % under) keep 4, 18 (12.5 % over) asks for 5
        assertThat(ReplicaRecommender.decide(QUEUE_4, 4, List.of(), queues(9, 8.5), T0)
                        .desired())
                .isEqualTo(4);
        assertThat(ReplicaRecommender.decide(QUEUE_4, 4, List.of(), queues(7, 7.5), T0)
                        .recommended())
                .isEqualTo(4);
        assertThat(ReplicaRecommender.decide(QUEUE_4, 4, List.of(), queues(9, 9), T0)
                        .desired())
                .isEqualTo(5);
    }

    @Test
    void theOtherSignalIsReadWhenTheTargetNamesIt() {
        ScalingPolicy inFlight = new ScalingPolicy(1, 10, Signal.IN_FLIGHT, 2, Duration.ZERO);
        // in flight is the queue depth + 1 here: 3 + 4 = 7 -> 4 replicas
        assertThat(ReplicaRecommender.decide(inFlight, 1, List.of(), queues(2, 3), T0)
                        .desired())
                .isEqualTo(4);
    }

    @Test
    void scaleUpIsBoundedByMaxAndByTheStepLimit() {
        ScalingPolicy wide = new ScalingPolicy(1, 100, Signal.QUEUE_DEPTH, 1, Duration.ofSeconds(60));
        ScaleDecision fromOne = ReplicaRecommender.decide(wide, 1, List.of(), queues(50), T0);
        assertThat(fromOne.recommended()).isEqualTo(50);
        assertThat(fromOne.desired()).as("1 + 4").isEqualTo(5);
        ScaleDecision fromTen = ReplicaRecommender.decide(wide, 10, List.of(), queues(50), T0);
        assertThat(fromTen.desired()).as("doubled").isEqualTo(20);
        ScaleDecision capped = ReplicaRecommender.decide(QUEUE_4, 8, List.of(), queues(100), T0);
        assertThat(capped.desired()).isEqualTo(10);
        assertThat(capped.limitedByMax(QUEUE_4)).isTrue();
        assertThat(capped.unbounded()).isEqualTo(25);
    }

    @Test
    void noLoadShrinksOnlyToTheMinimumAndOnlyAfterTheDelay() {
        ScalingPolicy policy = new ScalingPolicy(2, 10, Signal.QUEUE_DEPTH, 4, Duration.ofSeconds(60));
        List<Recommendation> window = new ArrayList<>();
        ScaleDecision d = ReplicaRecommender.decide(policy, 6, window, queues(0, 0), T0);
        assertThat(d.desired()).as("the window starts with the current count").isEqualTo(6);
        for (int s = 10; s < 60; s += 10) {
            d = ReplicaRecommender.decide(policy, d.desired(), d.window(), queues(0, 0), T0.plusSeconds(s));
            assertThat(d.desired()).as("still within the delay at %d s", s).isEqualTo(6);
        }
        d = ReplicaRecommender.decide(policy, d.desired(), d.window(), queues(0, 0), T0.plusSeconds(60));
        assertThat(d.desired()).as("low for the whole delay").isEqualTo(2);
    }

    @Test
    void aBurstWithinTheWindowHoldsTheCountAtItsHighest() {
        ScaleDecision d = ReplicaRecommender.decide(QUEUE_4, 6, List.of(), queues(24), T0);
        assertThat(d.desired()).isEqualTo(6);
        d = ReplicaRecommender.decide(QUEUE_4, 6, d.window(), queues(4), T0.plusSeconds(30));
        d = ReplicaRecommender.decide(QUEUE_4, d.desired(), d.window(), queues(12), T0.plusSeconds(50));
        assertThat(d.desired()).isEqualTo(6);
        d = ReplicaRecommender.decide(QUEUE_4, d.desired(), d.window(), queues(4), T0.plusSeconds(70));
        assertThat(d.desired())
                .as("the 24 at 0 s left the window; the 12 at 50 s holds 3")
                .isEqualTo(3);
        d = ReplicaRecommender.decide(QUEUE_4, d.desired(), d.window(), queues(4), T0.plusSeconds(111));
        assertThat(d.desired()).isEqualTo(1);
    }

    @Test
    void aZeroDelayScalesDownAtOnce() {
        ScalingPolicy now = new ScalingPolicy(1, 10, Signal.QUEUE_DEPTH, 4, Duration.ZERO);
        ScaleDecision first = ReplicaRecommender.decide(now, 6, List.of(), queues(4), T0);
        assertThat(first.desired()).isEqualTo(1);
    }

    @Test
    void withoutAReadingTheCountStays() {
        ScaleDecision d = ReplicaRecommender.decide(QUEUE_4, 7, List.of(), List.of(), T0);
        assertThat(d.desired()).isEqualTo(7);
        assertThat(d.measured()).isZero();
        d = ReplicaRecommender.decide(QUEUE_4, 7, d.window(), List.of(), T0.plusSeconds(600));
        assertThat(d.desired()).isEqualTo(7);
    }

    @Test
    void aCountOutsideTheBoundsIsBroughtWithinThem() {
        assertThat(ReplicaRecommender.decide(QUEUE_4, 40, List.of(), List.of(), T0)
                        .desired())
                .isEqualTo(10);
        ScalingPolicy min3 = new ScalingPolicy(3, 10, Signal.QUEUE_DEPTH, 4, Duration.ofSeconds(60));
        assertThat(ReplicaRecommender.decide(min3, 1, List.of(), queues(0), T0).desired())
                .isEqualTo(3);
    }
}
