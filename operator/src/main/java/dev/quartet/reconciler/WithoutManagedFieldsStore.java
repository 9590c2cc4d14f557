package dev.quartet.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * An informer store that drops {@code metadata.managedFields} from every object it keeps. Planning reads pods' and
 * nodes' specs, labels, annotations and status, never who wrote which field; yet the field sets of every writer
 * (kubelet, scheduler, MIG Manager, the device plugin's labeller, Quartet) are the largest part of a cached pod or
 * node: nested maps that at 250 nodes and 2,000 pods made up about two fifths of the operator's live heap
 * (docs/benchmarks.md, "Operator"). Only for informers whose objects Quartet never server-side applies through a
 * JOSDK dependent: those compare desired and actual through the managed fields.
 */
public class WithoutManagedFieldsStore<R extends HasMetadata> extends BasicItemStore<R> {

    public WithoutManagedFieldsStore() {
        super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public R put(String key, R obj) {
        if (obj.getMetadata() != null) {
            obj.getMetadata().setManagedFields(null);
        }
        return super.put(key, obj);
    }
}
