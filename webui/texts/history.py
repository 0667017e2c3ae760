"""The History tab: the list, one prediction's details, zip, delete and Resume."""

STRINGS: dict[str, tuple[str, str]] = {
    "hist.refresh": ("Refresh", "Làm mới"),
    "hist.gallery": (
        "Predictions, newest first (select one)",
        "Các prediction, mới nhất trước (chọn một)",
    ),
    "hist.resume_by_id": ("Resume a prediction by id", "Tiếp tục một prediction theo id"),
    "hist.resume_id_placeholder": (
        "e.g. q4chw5rey9rmt0cww76t4h3ma4",
        "ví dụ q4chw5rey9rmt0cww76t4h3ma4",
    ),
    "hist.resume_id_button": ("Resume id", "Tiếp tục id"),
    "hist.select": ("Select a prediction.", "Hãy chọn một prediction."),
    "hist.select_first": ("Select a prediction first.", "Hãy chọn một prediction trước."),
    "hist.images": ("Images", "Ảnh"),
    "hist.use_settings": ("Use these settings", "Dùng các thiết lập này"),
    "hist.resume": ("Resume", "Tiếp tục"),
    "hist.zip": ("Download images + JSON (zip)", "Tải ảnh + JSON (zip)"),
    "hist.delete": ("Remove from history", "Xóa khỏi lịch sử"),
    "hist.download": ("Download", "Tải xuống"),
    "hist.input": ("Input", "Đầu vào"),
    "hist.logs": ("Logs", "Nhật ký"),
    # -- the list ----------------------------------------------------------------------------
    "hist.unfinished_note": (
        "**{count} unfinished prediction(s)** {ids}: select one and press **Resume** to wait "
        "for it and save its images.",
        "**{count} prediction chưa xong** {ids}: chọn một cái rồi bấm **Tiếp tục** để chờ nó "
        "và lưu ảnh.",
    ),
    "hist.summary": ("**{count}** prediction(s)", "**{count}** prediction"),
    "hist.empty": ("No predictions yet.", "Chưa có prediction nào."),
    "hist.caption": (
        "{status} · {name}{duration}{demo} · {when}\n{prompt}",
        "{status} · {name}{duration}{demo} · {when}\n{prompt}",
    ),
    "hist.caption_demo": (" · demo", " · demo"),
    "hist.no_image_yet": ("no image yet", "chưa có ảnh"),
    # -- one prediction ------------------------------------------------------------------------
    "hist.removed": (
        "Removed `{id}` from History. Its files (if any) are still in the output folder.",
        "Đã xóa `{id}` khỏi Lịch sử. Các tệp của nó (nếu có) vẫn nằm trong thư mục đầu ra.",
    ),
    "hist.head": (
        "**{status}** · `{id}` · {model}{demo}",
        "**{status}** · `{id}` · {model}{demo}",
    ),
    "hist.head_demo": (" · demo (simulated)", " · demo (mô phỏng)"),
    "hist.created": ("Created {when}{took}", "Tạo lúc {when}{took}"),
    "hist.took": (" · took {seconds} s", " · mất {seconds} s"),
    "hist.error": ("Error: {error}", "Lỗi: {error}"),
    "hist.still_running": (
        "Still running when last seen: press **Resume** to wait and save it.",
        "Vẫn đang chạy ở lần xem cuối: bấm **Tiếp tục** để chờ và lưu nó.",
    ),
    "hist.link": (
        "Link to this result: [`{link}`]({link})",
        "Liên kết tới kết quả này: [`{link}`]({link})",
    ),
    "hist.link_unknown": (
        "No prediction `{id}` in your History. Check the link; a prediction shows here only in "
        "the app (and, on a shared app, the browser) that made it.",
        "Không có prediction `{id}` trong Lịch sử của bạn. Hãy kiểm tra liên kết; một "
        "prediction chỉ hiện ở đây trong ứng dụng (và, với ứng dụng dùng chung, trình duyệt) "
        "đã tạo ra nó.",
    ),
    "hist.link_malformed": (
        "No prediction with that id in your History. Check the link; a prediction shows here "
        "only in the app (and, on a shared app, the browser) that made it.",
        "Không có prediction nào với id đó trong Lịch sử của bạn. Hãy kiểm tra liên kết; một "
        "prediction chỉ hiện ở đây trong ứng dụng (và, với ứng dụng dùng chung, trình duyệt) "
        "đã tạo ra nó.",
    ),
    # -- Resume ---------------------------------------------------------------------------------
    "hist.resuming": ("Resuming `{id}`…", "Đang tiếp tục `{id}`…"),
    "hist.resumed": (
        "**Resumed: succeeded** · `{id}` · {count} image(s) saved",
        "**Đã tiếp tục: thành công** · `{id}` · đã lưu {count} ảnh",
    ),
}
