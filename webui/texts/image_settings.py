"""Load settings from an image: the drop zone on the Generate tab and what it answers."""

STRINGS: dict[str, tuple[str, str]] = {
    "img.accordion": ("Load settings from an image", "Lấy thiết lập từ một ảnh"),
    "img.drop": (
        "Drop an image this app saved (PNG, JPEG or WebP)",
        "Thả vào một ảnh do ứng dụng này lưu (PNG, JPEG hoặc WebP)",
    ),
    "img.help": (
        "The model, prompt, seed and every field come back as they were for that image.",
        "Mô hình, prompt, seed và mọi trường khác được khôi phục đúng như khi tạo ảnh đó.",
    ),
    # -- what a dropped file gives ----------------------------------------------------------
    "img.not_an_image": (
        "**That file is not a PNG, JPEG or WebP image**, so it holds no settings to load.",
        "**Tệp đó không phải ảnh PNG, JPEG hay WebP**, nên không chứa thiết lập nào để lấy.",
    ),
    "img.no_settings": (
        "**This image holds no settings from this app.** Only images this app saved (in its "
        "output folder, downloaded from the gallery or in a History zip) carry them; an editor "
        "that re-saves an image may drop them.",
        "**Ảnh này không chứa thiết lập nào của ứng dụng này.** Chỉ những ảnh do ứng dụng này "
        "lưu (trong thư mục đầu ra, tải về từ thư viện ảnh hoặc trong tệp zip của Lịch sử) mới "
        "mang thiết lập; một trình chỉnh sửa lưu lại ảnh có thể làm mất chúng.",
    ),
    "img.unknown_model": (
        "**{name}** was made with `{model}`, which this app does not offer, so nothing was "
        "changed.",
        "**{name}** được tạo bằng `{model}`, mô hình mà ứng dụng này không có, nên không có gì "
        "thay đổi.",
    ),
    "img.loaded": (
        "Loaded the settings of **{name}**: {model}{seed}{prediction}.",
        "Đã lấy thiết lập của **{name}**: {model}{seed}{prediction}.",
    ),
    "img.seed_part": (", seed {seed}", ", seed {seed}"),
    "img.prediction_part": (" (prediction `{id}`)", " (prediction `{id}`)"),
    "img.ignored": (
        " Left at their defaults (not valid here): {fields}.",
        " Được để ở giá trị mặc định (không hợp lệ ở đây): {fields}.",
    ),
    "img.upload_gone": (
        " The input image was an upload, which the file does not hold: add it again.",
        " Ảnh đầu vào là một ảnh tải lên, mà tệp này không lưu giữ: hãy thêm lại ảnh đó.",
    ),
}
