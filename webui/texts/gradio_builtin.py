"""Gradio's own words on our page (upload areas, footer, queue), which Gradio has no Vietnamese for.

Keys are Gradio's own (its frontend's en.json, gradio 6.31); the English is Gradio's, repeated so
that both languages of the table have the same keys. They go to the browser as they are: Gradio
formats them itself ({position} in ICU style), never str.format.
"""

STRINGS: dict[str, tuple[str, str]] = {
    "common.built_with": ("built with", "xây dựng bằng"),
    "common.built_with_gradio": ("Built with Gradio", "Xây dựng bằng Gradio"),
    "common.hosted_on": ("Hosted on", "Lưu trữ trên"),
    "common.clear": ("Clear", "Xóa"),
    "common.download": ("Download", "Tải xuống"),
    "common.download_all": ("Download All", "Tải tất cả"),
    "common.edit": ("Edit", "Sửa"),
    "common.empty": ("Empty", "Trống"),
    "common.error": ("Error", "Lỗi"),
    "common.loading": ("Loading", "Đang tải"),
    "common.or": ("or", "hoặc"),
    "common.remove": ("Remove", "Gỡ bỏ"),
    "common.settings": ("Settings", "Cài đặt"),
    "common.share": ("Share", "Chia sẻ"),
    "common.submit": ("Submit", "Gửi"),
    "common.undo": ("Undo", "Hoàn tác"),
    "common.language": ("Language", "Ngôn ngữ"),
    "common.display_theme": ("Display Theme", "Giao diện hiển thị"),
    "common.progress": ("Progress", "Tiến độ"),
    "common.run": ("Run", "Chạy"),
    "errors.use_via_api": ("Use via API", "Dùng qua API"),
    "errors.use_via_api_or_mcp": ("Use via API or MCP", "Dùng qua API hoặc MCP"),
    "file.uploading": ("Uploading...", "Đang tải lên..."),
    "upload_text.click_to_upload": ("Click to Upload", "Bấm để tải lên"),
    "upload_text.drop_file": ("Drop File Here", "Thả tệp vào đây"),
    "upload_text.drop_image": ("Drop Image Here", "Thả ảnh vào đây"),
    "upload_text.drop_gallery": ("Drop Media Here", "Thả ảnh hoặc video vào đây"),
    "upload_text.paste_clipboard": ("Paste from Clipboard", "Dán từ bộ nhớ tạm"),
    "status.queue_position": (
        "In queue: {position} of {size}",
        "Đang xếp hàng: {position}/{size}",
    ),
    "blocks.lost_connection": (
        "Lost connection due to leaving page. Rejoining queue...",
        "Mất kết nối do rời khỏi trang. Đang vào lại hàng đợi...",
    ),
    "blocks.waiting_for_inputs": (
        "Waiting for file(s) to finish uploading, please retry.",
        "Đang chờ tải tệp lên xong, vui lòng thử lại.",
    ),
    "blocks.connection_can_break": (
        "On mobile, the connection can break if this tab is unfocused or the device sleeps, "
        "losing your position in queue.",
        "Trên điện thoại, kết nối có thể bị ngắt nếu tab này không được mở hoặc thiết bị ngủ, "
        "làm bạn mất chỗ trong hàng đợi.",
    ),
}
