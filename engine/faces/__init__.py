"""Face backends behind `engine.types.FaceAnalyzer`: dlib (offline) and insightface (production)."""

from engine.faces.dlib_backend import DlibFaceAnalyzer
from engine.faces.loader import load_face_analyzer

__all__ = ["DlibFaceAnalyzer", "load_face_analyzer"]
