#!/usr/bin/env bash
# Installs the system libraries AttentionZoo needs (OpenBLAS, libpng, libjpeg-turbo, Open MPI) when pkg-config cannot
# find them: through apt-get when root, through sudo otherwise. Safe to run repeatedly.
set -euo pipefail
need=()
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
pkg-config --exists libpng 2>/dev/null || need+=(libpng-dev)
pkg-config --exists libturbojpeg 2>/dev/null || need+=(libturbojpeg0-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# Open MPI for data-parallel training (loaded at run time; the build does not need it).
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
[ -e /usr/lib/x86_64-linux-gnu/libmpi.so ] || [ -e /usr/lib/aarch64-linux-gnu/libmpi.so ] || ldconfig -p 2>/dev/null | grep -q "libmpi.so " || need+=(libopenmpi-dev)
[ ${#need[@]} -eq 0 ] && exit 0
echo "setup: installing ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq "${need[@]}" >&2
