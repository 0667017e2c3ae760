"""The Generate tab: its controls, the request preview and what a run says."""

STRINGS: dict[str, tuple[str, str]] = {
    "gen.prompt": ("Prompt", "Prompt (mô tả ảnh)"),
    "gen.prompt_placeholder": (
        "Describe the image you want… (Enter generates)",
        "Mô tả bức ảnh bạn muốn… (Enter để tạo)",
    ),
    "gen.model": ("Model", "Mô hình"),
    "gen.generate": ("Generate", "Tạo ảnh"),
    "gen.stop": ("Stop", "Dừng"),
    "gen.advanced": ("Advanced", "Nâng cao"),
    "gen.seed": ("Seed", "Seed"),
    "gen.randomize_seed": ("Randomize seed", "Seed ngẫu nhiên"),
    "gen.extra_input": ("Extra input (JSON)", "Đầu vào bổ sung (JSON)"),
    "gen.extra_input_help": (
        "A JSON object merged into the input, for fields this form lacks, e.g. "
        '`{{"guidance": 3.5}}`.',
        "Một đối tượng JSON được gộp vào đầu vào, cho các trường mà biểu mẫu này không có, "
        'ví dụ `{{"guidance": 3.5}}`.',
    ),
    "gen.preview": ("Request preview", "Xem trước yêu cầu"),
    "gen.preview_json": ("JSON body", "Nội dung JSON"),
    "gen.preview_curl": ("curl", "curl"),
    "gen.preview_cli": ("Command line (python -m comet)", "Dòng lệnh (python -m comet)"),
    "gen.preview_python": ("Python (comet.CometClient)", "Python (comet.CometClient)"),
    "gen.preview_help": (
        "With **Randomize seed** on, Generate adds a random `seed` (shown after the run). "
        "Uploaded images are sent inline as `data:` URIs, shortened here; the command line "
        "and Python name them by file (`@photo.png`): adjust the path to where the file is "
        "on your machine. Both run in this project's folder and read your key from "
        "`COMET_API_KEY` (the command line also from `.env`); neither contains it.",
        "Khi bật **Seed ngẫu nhiên**, nút Tạo ảnh thêm một `seed` ngẫu nhiên (hiện sau khi "
        "chạy). Ảnh tải lên được gửi kèm dưới dạng URI `data:`, ở đây được rút gọn; dòng lệnh "
        "và Python gọi chúng theo tên tệp (`@photo.png`): hãy sửa đường dẫn cho đúng nơi tệp "
        "nằm trên máy của bạn. Cả hai chạy trong thư mục của dự án này và đọc khóa của bạn từ "
        "`COMET_API_KEY` (dòng lệnh đọc cả từ `.env`); không đoạn nào chứa khóa.",
    ),
    "gen.ready": ("Ready.", "Sẵn sàng."),
    "gen.images": ("Images", "Ảnh"),
    "gen.seed_used": ("Seed used", "Seed đã dùng"),
    "gen.reuse_seed": ("Reuse this seed", "Dùng lại seed này"),
    "gen.examples": ("Examples (prompt and model)", "Ví dụ (prompt và mô hình)"),
    # -- what a run says -------------------------------------------------------------------
    "gen.submitting": ("Submitting…", "Đang gửi…"),
    "gen.placeholder_caption": ("Generating…", "Đang tạo…"),
    "gen.succeeded": (
        "**Succeeded in {seconds} s** · {images}{seed}{demo}",
        "**Thành công sau {seconds} s** · {images}{seed}{demo}",
    ),
    "gen.one_image": ("{count} image", "{count} ảnh"),
    "gen.many_images": ("{count} images", "{count} ảnh"),
    "gen.seed_part": (" · seed {seed}", " · seed {seed}"),
    "gen.demo_part": (" · demo placeholder", " · ảnh minh họa demo"),
    "gen.stopped_early": (
        "Stopped before a prediction was created: nothing was sent or billed.",
        "Đã dừng trước khi tạo prediction: không có gì được gửi hay bị tính phí.",
    ),
    "gen.stopped_sending": (
        "**Stopped.** The request was still on its way: if CometAPI received it, the prediction"
        " finishes in the background and its images appear in History.",
        "**Đã dừng.** Yêu cầu vẫn đang được gửi: nếu CometAPI đã nhận, prediction sẽ hoàn tất"
        " trong nền và ảnh sẽ có trong Lịch sử.",
    ),
    "gen.stopped_waiting": ("**Stopped waiting.** {note}", "**Đã ngừng chờ.** {note}"),
    "gen.stopped_finished": (
        "**Stopped.** Nothing more was sent: the last run, prediction `{id}`, had already"
        " finished, and its images are in History.",
        "**Đã dừng.** Không gửi thêm gì: lần chạy gần nhất, prediction `{id}`, đã xong và ảnh"
        " của nó có trong Lịch sử.",
    ),
    "gen.saving": (
        "**Saving images…** {saved} of {total} · {seconds} s",
        "**Đang lưu ảnh…** {saved}/{total} · {seconds} s",
    ),
}
