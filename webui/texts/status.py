"""The status area: a run's progress, and failures said in words a person can act on."""

STRINGS: dict[str, tuple[str, str]] = {
    # -- a prediction's state, as the API names it ----------------------------------------------
    "state.starting": ("starting", "đang khởi động"),
    "state.processing": ("processing", "đang xử lý"),
    "state.succeeded": ("succeeded", "thành công"),
    "state.failed": ("failed", "thất bại"),
    "state.canceled": ("canceled", "đã hủy"),
    "state.unfinished": ("unfinished", "chưa xong"),
    # -- progress ---------------------------------------------------------------------------
    "progress.starting": ("Starting (waiting for a worker)", "Đang khởi động (chờ máy chạy)"),
    "progress.processing": ("Generating", "Đang tạo"),
    "progress.line": (
        "**{state}…** {seconds} s · {typical}",
        "**{state}…** {seconds} s · {typical}",
    ),
    "progress.usually": ("usually about {seconds} s", "thường mất khoảng {seconds} s"),
    "progress.usually_quick": ("usually ~1 s", "thường mất ~1 s"),
    "progress.longer": ("longer than the usual {seconds} s", "lâu hơn mức thường lệ {seconds} s"),
    "progress.prediction": ("prediction `{id}`", "prediction `{id}`"),
    "progress.log": ("Log: `{line}`", "Nhật ký: `{line}`"),
    # -- failures ---------------------------------------------------------------------------
    "status.stop_note": (
        "CometAPI has no cancel route, so prediction `{id}` may still finish and be billed. "
        "Its images are not lost: resume it from the History tab.",
        "CometAPI không có cách hủy, nên prediction `{id}` có thể vẫn chạy xong và bị tính "
        "phí. Ảnh của nó không bị mất: hãy tiếp tục nó từ tab Lịch sử.",
    ),
    "status.app_error": (
        "**Something went wrong in the app.** The details are in the server log.",
        "**Ứng dụng gặp sự cố.** Chi tiết nằm trong nhật ký của máy chủ.",
    ),
    "status.resume_hint": (
        " Prediction `{id}` is saved in History: resume it from there.",
        " Prediction `{id}` đã được lưu trong Lịch sử: hãy tiếp tục nó từ đó.",
    ),
    "status.generic": (
        "**Something went wrong.** {message}{resume}",
        "**Đã có lỗi.** {message}{resume}",
    ),
    "status.canceled": (
        "**Canceled.** Prediction `{id}` was canceled.",
        "**Đã hủy.** Prediction `{id}` đã bị hủy.",
    ),
    "status.no_reason": ("the model gave no reason", "mô hình không nêu lý do"),
    "status.model_failed": (
        "**The model could not make this image.** {reason}\n\nTry another prompt or other "
        "settings. (prediction `{id}`)",
        "**Mô hình không tạo được ảnh này.** {reason}\n\nHãy thử prompt khác hoặc thiết lập "
        "khác. (prediction `{id}`)",
    ),
    "status.wait": ("Wait a little and try again.", "Hãy chờ một chút rồi thử lại."),
    "status.wait_seconds": ("Wait {seconds} s and try again.", "Hãy chờ {seconds} s rồi thử lại."),
    "status.permission_denied": (
        "**CometAPI blocked this request.** The key was accepted, but this model or one of its "
        "inputs is not enabled for it: check the model's access in your CometAPI console. "
        "({message})",
        "**CometAPI đã chặn yêu cầu này.** Key được chấp nhận, nhưng mô hình này hoặc một đầu "
        "vào của nó chưa được bật cho key: hãy kiểm tra quyền truy cập mô hình trong trang quản "
        "lý CometAPI của bạn. ({message})",
    ),
    "status.auth": (
        "**CometAPI refused the API key.** Check `COMET_API_KEY` (in `.env` or the Space's "
        "secrets) or the key typed in the API key box. Keys are at "
        "https://api.cometapi.com/console/token.",
        "**CometAPI từ chối API key.** Hãy kiểm tra `COMET_API_KEY` (trong `.env` hoặc phần "
        "secrets của Space) hoặc key đã nhập vào ô API key. Lấy key tại "
        "https://api.cometapi.com/console/token.",
    ),
    "status.rate_limited": (
        "**Rate limited by CometAPI.** {wait}{resume}",
        "**CometAPI đang giới hạn tần suất.** {wait}{resume}",
    ),
    "status.limit": ("**Limit reached.** {message}", "**Đã đạt giới hạn.** {message}"),
    "status.invalid_input": (
        "**Please check the input.** {message}",
        "**Hãy kiểm tra đầu vào.** {message}",
    ),
    "status.not_found": ("**Not found.** {message}", "**Không tìm thấy.** {message}"),
    "status.timeout": (
        "**Still waiting after the time limit.** {message}{resume}",
        "**Vẫn đang chờ sau thời hạn.** {message}{resume}",
    ),
    "status.connection": (
        "**Could not reach CometAPI.** {message} Check your network and `COMET_BASE_URL`.{resume}",
        "**Không kết nối được CometAPI.** {message} Hãy kiểm tra mạng và `COMET_BASE_URL`.{resume}",
    ),
    "status.server": (
        "**CometAPI had a problem.** {message}{resume}",
        "**CometAPI gặp sự cố.** {message}{resume}",
    ),
    "status.save_warning": ("⚠️ {message}", "⚠️ {message}"),
}
