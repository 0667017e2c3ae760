"""The Compare tab: its controls, what each column and the comparison say, and bad input.

A run's own words (progress, success, failures, Stop's note) are the Generate tab's and the
status area's keys; only what is the comparison's own is here.
"""

STRINGS: dict[str, tuple[str, str]] = {
    "cmp.prompt": ("Prompt for every model", "Prompt cho mọi mô hình"),
    "cmp.prompt_placeholder": (
        "One prompt, sent to each chosen model… (Enter compares)",
        "Một prompt, gửi tới từng mô hình đã chọn… (Enter để so sánh)",
    ),
    "cmp.seed": ("Seed (optional)", "Seed (tùy chọn)"),
    "cmp.seed_placeholder": ("random", "ngẫu nhiên"),
    "cmp.seed_help": (
        "The same seed for every model; empty: one random seed for all.",
        "Cùng một seed cho mọi mô hình; để trống: một seed ngẫu nhiên chung cho tất cả.",
    ),
    "cmp.models": ("Models ({low} to {high})", "Mô hình (từ {low} đến {high})"),
    "cmp.models_help": (
        "Each runs with its own default settings; the runs go in parallel.",
        "Mỗi mô hình chạy với thiết lập mặc định của riêng nó; các lượt chạy diễn ra song song.",
    ),
    "cmp.compare": ("Compare", "So sánh"),
    "cmp.ready": (
        "Choose {low} to {high} models and press **Compare**.",
        "Chọn từ {low} đến {high} mô hình rồi bấm **So sánh**.",
    ),
    "cmp.column": ("Model {number}", "Mô hình {number}"),
    "cmp.column_status": ("Model {number} status", "Trạng thái mô hình {number}"),
    "cmp.status_label": ("Comparison status", "Trạng thái so sánh"),
    "cmp.history_note": (
        "Every run is saved in **History** like any other, with its own model and settings.",
        "Mỗi lượt chạy được lưu trong **Lịch sử** như mọi lượt khác, với mô hình và thiết lập "
        "của riêng nó.",
    ),
    # -- what the comparison says -------------------------------------------------------------
    "cmp.submitting": ("**Submitting…** · `{model}`", "**Đang gửi…** · `{model}`"),
    "cmp.queued": (
        "**Waiting for a free run…** · `{model}` starts when one of yours ends "
        "({limit} at once on this app)",
        "**Đang chờ lượt trống…** · `{model}` bắt đầu khi một lượt chạy của bạn kết thúc "
        "(tối đa {limit} lượt cùng lúc trên ứng dụng này)",
    ),
    "cmp.failed_after": ("_after {seconds} s_", "_sau {seconds} s_"),
    "cmp.seed_part": (" · seed {seed} for every model", " · seed {seed} cho mọi mô hình"),
    "cmp.running": (
        "**Comparing {count} models…** {seconds} s{seed}",
        "**Đang so sánh {count} mô hình…** {seconds} s{seed}",
    ),
    "cmp.done": (
        "**Done in {seconds} s** · {succeeded} of {count} succeeded{seed} · each run is in History",
        "**Đã xong sau {seconds} s** · {succeeded}/{count} thành công{seed} · mỗi lượt chạy đều "
        "có trong Lịch sử",
    ),
    "cmp.stopped_early": (
        "Stopped before this model's prediction was created: nothing was sent or billed.",
        "Đã dừng trước khi prediction của mô hình này được tạo: không có gì được gửi hay bị "
        "tính phí.",
    ),
    "cmp.stopped": (
        "**Stopped.** Predictions already created keep running on CometAPI; their images are "
        "saved to History when they finish.",
        "**Đã dừng.** Các prediction đã được tạo vẫn tiếp tục chạy trên CometAPI; ảnh của "
        "chúng được lưu vào Lịch sử khi xong.",
    ),
}

# plan_comparison's refusals (InvalidInputError): their Message codes, worded at the UI edge.
MESSAGES: dict[str, tuple[str, str]] = {
    "msg.compare.no_prompt": (
        "Enter a prompt: it is sent to every model.",
        "Hãy nhập prompt: prompt được gửi tới mọi mô hình.",
    ),
    "msg.compare.not_a_list": (
        "Models must be a list of model ids.",
        "Danh sách mô hình phải là một danh sách id mô hình.",
    ),
    "msg.compare.unknown_model": (
        'Unknown model "{model}". Choose from: {names}.',
        'Không có mô hình "{model}". Hãy chọn trong số: {names}.',
    ),
    "msg.compare.count": (
        "Choose {low} to {high} models to compare (you chose {count}).",
        "Hãy chọn từ {low} đến {high} mô hình để so sánh (bạn đã chọn {count}).",
    ),
}
