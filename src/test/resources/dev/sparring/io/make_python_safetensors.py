# Writes python-safetensors-0.8.0.safetensors, the golden file SafeTensorsTest reads and compares our writer
# against byte for byte. Produced with safetensors 0.8.0 and numpy 2.4 (pip install safetensors numpy):
#   python make_python_safetensors.py
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "w": np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1,   # F32 (2, 3)
    "b": np.array([1.5, -2.25], dtype=np.float32),                 # F32 (2,)
    "step": np.array([7, -3], dtype=np.int64),                     # I64 (2,)
    "mask": np.array([[1, 0, 255]], dtype=np.uint8),               # U8 (1, 3)
    "d": np.array(3.141592653589793, dtype=np.float64),            # F64 scalar, shape ()
    "i": np.array([[-1], [2]], dtype=np.int32),                    # I32 (2, 1)
}
save_file(tensors, "python-safetensors-0.8.0.safetensors", metadata={"step": "42"})
