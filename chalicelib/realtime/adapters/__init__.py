"""One module per socket protocol. Each only translates: frames in, calls on the shared
SocketCore (who may connect, the one subscription policy) and frames out. They import neither
each other nor storage (import-linter holds both)."""
