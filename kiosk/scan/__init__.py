"""The scan flow, below the UI and Qt-free: from a picture (a file, a camera capture) to a read ready for
review, with its evidence crop and the remote fallback decided by the one policy.

- `models.ScanModels`: the one factory: the OCR engine, the passport and receipt readers and the live
  analysers, built from the settings and loaded once;
- `flow`: `read_file()`, `read_image()`, `from_capture()` give a `Scan`; `ask_remote()` adds the OCR
  service's answer; `Scan.to_json()` is the one JSON form of a scan (`kiosk scan`, `kiosk capture`);
- `evidence`: the part of the picture the fields came from.

The app's workers and the command line call the same functions.
"""
