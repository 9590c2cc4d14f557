# Functions shared by hack/images.sh and hack/images/base-image.sh (sourced, not run): write image layers and
# docker archives (the format `docker save` writes and Jib reads as a tar:// base image) with GNU tar, gzip,
# sha256sum and jq only.

# write_layer DIR OUT.tar.gz [fixed]: DIR's contents as one gzip layer, entries sorted, owners numeric; with
# "fixed", every file is owned by root and dated at the epoch, so equal contents give an equal layer. Writes
# OUT.tar.gz.diffid (sha256 of the uncompressed tar: the image config's diff_id).
write_layer() {
  local dir=$1 out=$2 fixed=${3:-}
  local opts=(--numeric-owner --no-recursion --null -T -)
  [ "$fixed" = fixed ] && opts+=(--owner=0 --group=0 --mtime=@0)
  (cd "$dir" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z | tar -c "${opts[@]}" -f -) \
    | tee >(sha256sum | cut -d' ' -f1 >"$out.diffid.part") | gzip -n -6 >"$out.part"
  # tee's process substitution may finish after the pipeline: wait for its file
  local i; for i in $(seq 1 100); do [ -s "$out.diffid.part" ] && break; sleep 0.1; done
  [ -s "$out.diffid.part" ] || { echo "write_layer: no digest for $out" >&2; return 1; }
  mv "$out.part" "$out"; echo "sha256:$(cat "$out.diffid.part")" >"$out.diffid"; rm -f "$out.diffid.part"
}

# write_archive OUT.tar TAG CONFIG_JSON LAYER.tar.gz...: a docker archive of the layers (each with its .diffid)
# whose config is CONFIG_JSON (an image config without rootfs, which this fills in from the layers).
write_archive() {
  local out=$1 tag=$2 config=$3; shift 3
  local work; work=$(mktemp -d)
  local diff_ids=() names=() layer digest
  for layer in "$@"; do
    diff_ids+=("$(cat "$layer.diffid")")
    digest=$(sha256sum "$layer" | cut -d' ' -f1)
    ln -s "$(readlink -f "$layer")" "$work/$digest.tar.gz"
    names+=("$digest.tar.gz")
  done
  jq -c --args '. + {rootfs: {type: "layers", diff_ids: $ARGS.positional}}' "${diff_ids[@]}" <<<"$config" \
    >"$work/config.json"
  local config_name; config_name=$(sha256sum "$work/config.json" | cut -d' ' -f1).json
  mv "$work/config.json" "$work/$config_name"
  jq -cn --arg config "$config_name" --arg tag "$tag" --args \
    '[{Config: $config, RepoTags: [$tag], Layers: $ARGS.positional}]' "${names[@]}" >"$work/manifest.json"
  tar -C "$work" --dereference -cf "$out.part" manifest.json "$config_name" "${names[@]}"
  mv "$out.part" "$out"
  rm -rf "$work"
}

# archive_config ARCHIVE.tar: the image config JSON of a docker archive written by write_archive.
archive_config() {
  local config; config=$(tar -xOf "$1" manifest.json | jq -r '.[0].Config')
  tar -xOf "$1" "$config"
}

# archive_layers ARCHIVE.tar: the layer files of a docker archive, in order, one per line.
archive_layers() {
  tar -xOf "$1" manifest.json | jq -r '.[0].Layers[]'
}
