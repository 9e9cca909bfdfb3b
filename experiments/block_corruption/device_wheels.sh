#!/usr/bin/env bash
# Downloads, here, the wheels that a lent GPU machine's image lacks (it has torch, torchvision,
# lightning, opencv, scikit-learn, scikit-image, matplotlib, onnx, but no package registry) into
# .whl/ (ignored by git), about 44 MB for Python 3.12. device_run.sh installs them there.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
grep -qx "/.whl/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info && echo "/.whl/" >> .git/info/exclude; }
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${platforms[@]}" \
  -d .whl av==18.1.0 hydra-core==1.3.8 omegaconf==2.3.1 albumentations==2.0.8 albucore==0.0.24 \
  stringzilla==5.3.2 simsimd==6.5.16 pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 \
  typing-inspection==0.4.5 soundfile==0.14.0 cffi==2.1.1 pycparser==3.12
# antlr4 4.9.3 (hydra's parser runtime) is published only as a source archive: build its pure wheel.
"$PY" -m pip wheel -q --no-deps -w .whl antlr4-python3-runtime==4.9.3
du -sh .whl
