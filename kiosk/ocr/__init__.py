"""Text recognition, in layers (no Qt here):

- `engine`: the recognition engines (ONNX Runtime, Paddle), their models and the shared pipeline;
- `mrz` and `receipt`: the document readers built on an engine;
- `remote`: the organisation's OCR service and the one fallback policy that combines it with a local read.

`kiosk.ocr.readers` builds the readers a setting asks for.
"""
