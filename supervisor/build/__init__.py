"""`build`: a Containerfile (Dockerfile) into an image, as `podman build` does.

`parser` is pure (text -> typed instructions, word expansion); `executor` runs the steps
through the engine (step containers, the layer packer of `commit`, the image store)."""
