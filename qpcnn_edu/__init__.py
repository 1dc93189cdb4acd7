"""qpcnn-edu: the Quantum Pointwise Convolutional Neural Network, reconstructed, tested and explained.

The public API, re-exported here (``from qpcnn_edu import QuantumPointwiseConv2d``):

* :mod:`qpcnn_edu.encoding` — :func:`n_qubits_for`, :func:`amplitude_encode`, :func:`angle_encode`
* :mod:`qpcnn_edu.circuits` — :func:`entangling_unitary`, :func:`reference_qnode`, :func:`draw`
* :mod:`qpcnn_edu.layers` — :class:`QuantumPointwiseConv2d`
* :mod:`qpcnn_edu.models` — :class:`QPCNN`, :class:`ClassicalCNN`, :func:`count_parameters`
"""

from .circuits import MEASUREMENTS, default_ranges, draw, entangling_unitary, reference_qnode, rot_matrix
from .data import (DATASETS, DatasetIntegrityError, DatasetNotFoundError, ImageDataset, dataset_info,
                   dataset_md5s, describe, load_dataset, subset)
from .encoding import amplitude_encode, angle_encode, n_qubits_for
from .layers import BACKENDS, DIFF_METHODS, QuadraticPointwiseConv2d, QuantumPointwiseConv2d
from .models import ClassicalCNN, PointwiseCNN, QPCNN, count_parameters
from .simulator import parameter_shift_weight_grad

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # encoding
    "n_qubits_for",
    "amplitude_encode",
    "angle_encode",
    # circuits
    "MEASUREMENTS",
    "default_ranges",
    "rot_matrix",
    "entangling_unitary",
    "reference_qnode",
    "draw",
    # layers
    "BACKENDS",
    "DIFF_METHODS",
    "QuantumPointwiseConv2d",
    "QuadraticPointwiseConv2d",
    # models
    "PointwiseCNN",
    "QPCNN",
    "ClassicalCNN",
    "count_parameters",
    "parameter_shift_weight_grad",
    # data
    "DATASETS",
    "load_dataset",
    "dataset_info",
    "dataset_md5s",
    "describe",
    "subset",
    "ImageDataset",
    "DatasetNotFoundError",
    "DatasetIntegrityError",
]
