// Command image-archive is what hack/images.sh needs of a registry client, without a Docker engine:
//
//	image-archive registry DIR PORT_FILE   serve a registry on 127.0.0.1 (blobs under DIR), write its port
//	image-archive save REF NAME OUT.tar    pull REF from that registry, write a docker archive tagged NAME
//	image-archive export IMAGE.tar         write the image's filesystem (layers in order, whiteouts applied) to stdout
//	image-archive config IMAGE.tar         write the image's config (JSON) to stdout
//
// Everything is go-containerregistry's; this file only wires it to the command line.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image-archive:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: image-archive registry|save|export|config ...")
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "registry" && len(rest) == 2:
		return serveRegistry(rest[0], rest[1])
	case cmd == "save" && len(rest) == 3:
		return save(rest[0], rest[1], rest[2])
	case cmd == "export" && len(rest) == 1:
		return export(rest[0])
	case cmd == "config" && len(rest) == 1:
		return config(rest[0])
	default:
		return fmt.Errorf("unknown command or wrong arguments: %q", args)
	}
}

// serveRegistry listens on loopback only, on a free port, and never returns unless serving fails.
func serveRegistry(dir, portFile string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		return err
	}
	server := &http.Server{
		ReadHeaderTimeout: 30 * time.Second,
		Handler:           registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(dir))),
	}
	return server.Serve(listener)
}

// save copies an image of the loopback registry (plain HTTP) into a docker archive whose tag is name.
func save(ref, tag, out string) error {
	source, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	target, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	img, err := remote.Image(source)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, target, img)
}

func export(archive string) error {
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return err
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	_, err = io.Copy(os.Stdout, fs)
	return err
}

func config(archive string) error {
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return err
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(raw)
	return err
}
