"""The quantum part: encoding, circuits, the fast statevector simulator, shots and noise, hardware cost."""
