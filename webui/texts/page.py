"""The page around the tabs: title, banner, the tabs' names and the API key panel."""

STRINGS: dict[str, tuple[str, str]] = {
    "page.title": ("FLUX through CometAPI", "FLUX qua CometAPI"),
    "page.intro": (
        "# FLUX through CometAPI\nGenerate images with the FLUX family of models through "
        "CometAPI's Replicate-compatible API; every image is saved locally as soon as it is "
        "ready.",
        "# FLUX qua CometAPI\nTạo ảnh bằng các mô hình FLUX thông qua API tương thích "
        "Replicate của CometAPI; mỗi ảnh được lưu trên máy ngay khi hoàn tất.",
    ),
    "tab.generate": ("Generate", "Tạo ảnh"),
    "tab.compare": ("Compare", "So sánh"),
    "tab.history": ("History", "Lịch sử"),
    # -- the banner: where runs go and who pays ---------------------------------------------
    "banner.own_key": (
        "**CometAPI** · requests go to `{base_url}` with **your own key** for this session "
        "(kept on the server for this session only).",
        "**CometAPI** · yêu cầu được gửi tới `{base_url}` bằng **key của riêng bạn** trong "
        "phiên này (chỉ được giữ trên máy chủ trong phiên này).",
    ),
    "banner.bring_key": (
        "**Bring your own key** · this app needs your CometAPI key: enter it under "
        "**API key** below. Get one at https://api.cometapi.com/console/token.",
        "**Hãy dùng key của bạn** · ứng dụng này cần CometAPI key của bạn: nhập nó ở mục "
        "**API key** bên dưới. Lấy key tại https://api.cometapi.com/console/token.",
    ),
    "banner.owner": (
        "**CometAPI** · requests go to `{base_url}`.",
        "**CometAPI** · yêu cầu được gửi tới `{base_url}`.",
    ),
    "banner.demo": (
        "**Demo mode** · no `COMET_API_KEY` is set, so images come from the built-in offline "
        "simulator: locally drawn placeholders, no network, no cost. To use the real FLUX "
        "models, put `COMET_API_KEY=...` in `.env` and restart, or enter your own key under "
        "**API key**.",
        "**Chế độ demo** · chưa đặt `COMET_API_KEY`, nên ảnh đến từ trình giả lập ngoại tuyến "
        "có sẵn: ảnh minh họa vẽ trên máy, không cần mạng, không mất phí. Để dùng các mô hình "
        "FLUX thật, hãy ghi `COMET_API_KEY=...` vào `.env` rồi khởi động lại, hoặc nhập key "
        "của bạn ở mục **API key**.",
    ),
    # -- the API key panel ----------------------------------------------------------------
    "key.accordion": ("API key", "API key"),
    "key.explain": (
        "Use your own CometAPI key for your runs. It is kept on the server for this browser "
        "session only: never written to disk, never sent back to the page. **Remember in this "
        "browser** keeps a copy sealed with a secret only this server holds: the page cannot "
        "read it, but anyone using this browser profile can still run this app with it, so "
        "use it only on your own computer.",
        "Dùng CometAPI key của riêng bạn cho các lần chạy. Key chỉ được giữ trên máy chủ trong "
        "phiên trình duyệt này: không bao giờ ghi ra đĩa, không bao giờ gửi ngược về trang. "
        "**Ghi nhớ trên trình duyệt này** giữ một bản sao được niêm phong bằng một bí mật chỉ "
        "máy chủ này có: trang web không đọc được, nhưng bất kỳ ai dùng hồ sơ trình duyệt này "
        "vẫn có thể chạy ứng dụng bằng key đó, vì vậy chỉ dùng trên máy tính của riêng bạn.",
    ),
    "key.box": ("API key", "API key"),
    "key.remember": ("Remember in this browser", "Ghi nhớ trên trình duyệt này"),
    "key.use": ("Use this key", "Dùng key này"),
    "key.forget": ("Forget", "Quên key"),
    "key.not_a_key": ("That does not look like an API key.", "Đó có vẻ không phải là API key."),
    "key.enter_first": ("Enter a key first.", "Hãy nhập key trước."),
    "key.set_remembered": (
        "Your key is set for this browser session and remembered in this browser, sealed so "
        "that only this server can read it (press Forget on a shared computer).",
        "Key của bạn đã được đặt cho phiên trình duyệt này và được ghi nhớ trên trình duyệt "
        "này, niêm phong để chỉ máy chủ này đọc được (hãy bấm Quên key trên máy tính dùng "
        "chung).",
    ),
    "key.set_session": (
        "Your key is set for this browser session only; it is not stored anywhere.",
        "Key của bạn chỉ được đặt cho phiên trình duyệt này; nó không được lưu ở đâu cả.",
    ),
    "key.forgotten": (
        "Key forgotten: this session and this browser no longer hold it.",
        "Đã quên key: phiên này và trình duyệt này không còn giữ nó nữa.",
    ),
    "key.unreadable": (
        "The key remembered in this browser can no longer be read: enter it again.",
        "Không còn đọc được key đã ghi nhớ trên trình duyệt này: hãy nhập lại.",
    ),
    "key.restored": (
        "Using the key remembered in this browser.",
        "Đang dùng key đã ghi nhớ trên trình duyệt này.",
    ),
}
