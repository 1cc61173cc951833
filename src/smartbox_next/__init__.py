"""SmartBox Next: DICOM engine and capture-station service."""

__version__ = "0.1.0"
