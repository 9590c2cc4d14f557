package dev.quartet.agent.annotations;

/** A pod by namespace and name. */
public record PodKey(String namespace, String name) {

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
