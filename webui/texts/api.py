"""The public API's words (webui/api.py): status lines and progress an API caller or AI
assistant reads, in English unless the request asks for Vietnamese (Accept-Language)."""

STRINGS: dict[str, tuple[str, str]] = {
    "api.generated": (
        "Succeeded{demo}: {model}, seed {seed}, prediction {id}; {count} image(s) saved as "
        "{files} in {folder}; details: {link}",
        "Thành công{demo}: {model}, seed {seed}, prediction {id}; đã lưu {count} ảnh: "
        "{files} trong {folder}; chi tiết: {link}",
    ),
    "api.resumed": (
        "Prediction {id}: {status}; {count} image(s) saved",
        "Prediction {id}: {status}; đã lưu {count} ảnh",
    ),
    "api.demo": (" (demo placeholder, nothing billed)", " (ảnh minh họa demo, không tính phí)"),
    "api.no_files": ("no files", "không có tệp"),
    "api.progress.created": ("Created prediction {id}", "Đã tạo prediction {id}"),
    "api.progress.processing": ("Waiting: {status}", "Đang chờ: {status}"),
    "api.progress.saving": ("Saving the images of {id}", "Đang lưu ảnh của {id}"),
    "api.progress.done": ("Done: {count} image(s) saved", "Xong: đã lưu {count} ảnh"),
}
