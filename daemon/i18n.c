#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "i18n.h"

/*
 * { Vietnamese, English }, indexed by enum msg.  Vietnamese is written
 * in precomposed (NFC) UTF-8, as people type it.
 */
static const char *const catalog[M_COUNT][2] = {
	[M_STATE_UNKNOWN] =	{ "Chưa rõ", "Unknown" },
	[M_STATE_UP] =		{ "Hoạt động", "Up" },
	[M_STATE_DEGRADED] =	{ "Suy giảm", "Degraded" },
	[M_STATE_DOWN] =	{ "Mất kết nối", "Down" },
	[M_STATE_UNREACHABLE] =	{ "Không truy cập được", "Unreachable" },
	[M_STATE_MAINTENANCE] =	{ "Bảo trì", "Maintenance" },

	[M_UNIT_DAY] =		{ "ngày", "d" },
	[M_UNIT_HOUR] =		{ "giờ", "h" },
	[M_UNIT_MIN] =		{ "phút", "min" },
	[M_UNIT_SEC] =		{ "giây", "s" },

	[M_APP_TITLE] =		{ "Giám sát mạng", "Network monitoring" },
	[M_OVERVIEW] =		{ "Tổng quan", "Overview" },
	[M_EVENTS] =		{ "Sự kiện", "Events" },
	[M_RECENT_EVENTS] =	{ "Sự kiện gần đây", "Recent events" },
	[M_ALL_EVENTS] =	{ "Xem tất cả sự kiện", "All events" },
	[M_UPDATED_AT] =	{ "Cập nhật lúc", "Updated at" },
	[M_RELOADS_EVERY] =	{ "Trang tự tải lại sau mỗi",
				  "This page reloads every" },
	[M_JSON_DATA] =		{ "Dữ liệu JSON", "JSON data" },
	[M_STALE] =		{ "Trang này đã cũ: không có cập nhật nào từ",
				  "This page is out of date: nothing new since" },
	[M_STALE_WHY] =		{ "tramond có thể đã dừng, hoặc bộ dựng trang bị treo.",
				  "tramond may have stopped, or the page renderer is stuck." },

	[M_SUMMARY] =		{ "Tình trạng chung", "Summary" },
	[M_ALL_UP] =		{ "Tất cả điểm giám sát đều hoạt động bình thường",
				  "All targets are up" },
	[M_ATTENTION] =		{ "Cần chú ý", "Needs attention" },
	[M_NO_TARGETS] =	{ "Chưa có điểm giám sát nào được cấu hình",
				  "No targets are configured" },
	[M_TOTAL] =		{ "Tổng số", "Total" },
	[M_GROUP_OTHER] =	{ "Khác", "Other" },

	[M_TARGET] =		{ "Điểm giám sát", "Target" },
	[M_STATE] =		{ "Trạng thái", "State" },
	[M_HOST] =		{ "Địa chỉ", "Address" },
	[M_TYPE] =		{ "Kiểu kiểm tra", "Check" },
	[M_LATENCY] =		{ "Độ trễ", "Latency" },
	[M_LATENCY_MEDIAN] =	{ "Độ trễ (trung vị)", "Latency (median)" },
	[M_LOSS] =		{ "Mất gói", "Packet loss" },
	[M_JITTER] =		{ "Độ dao động (jitter)", "Jitter" },
	[M_SINCE] =		{ "Từ lúc", "Since" },
	[M_FOR] =		{ "đã", "for" },
	[M_UPTIME_24H] =	{ "Sẵn sàng 24 giờ", "Uptime 24 h" },
	[M_UPTIME_7D] =		{ "Sẵn sàng 7 ngày", "Uptime 7 d" },
	[M_UPTIME_30D] =	{ "Sẵn sàng 30 ngày", "Uptime 30 d" },
	[M_LAST_ROUND] =	{ "Lần đo gần nhất", "Last measured" },
	[M_NO_DATA] =		{ "Chưa có dữ liệu", "No data yet" },
	[M_REASON] =		{ "Nguyên nhân", "Reason" },
	[M_PARENT] =		{ "Kết nối qua", "Reached through" },
	[M_INTERVAL] =		{ "Chu kỳ đo", "Check interval" },
	[M_MIN] =		{ "Nhỏ nhất", "Minimum" },
	[M_AVG] =		{ "Trung bình", "Average" },
	[M_MAX] =		{ "Lớn nhất", "Maximum" },
	[M_PACKETS] =		{ "Gói nhận được / đã gửi",
				  "Packets received / sent" },
	[M_GRAPHS] =		{ "Biểu đồ", "Graphs" },

	[M_RANGE_3H] =		{ "3 giờ qua", "Last 3 hours" },
	[M_RANGE_1D] =		{ "24 giờ qua", "Last 24 hours" },
	[M_RANGE_7D] =		{ "7 ngày qua", "Last 7 days" },
	[M_RANGE_30D] =		{ "30 ngày qua", "Last 30 days" },
	[M_RANGE_1Y] =		{ "12 tháng qua", "Last 12 months" },

	[M_TIME] =		{ "Thời gian", "Time" },
	[M_CHANGE] =		{ "Thay đổi", "Change" },
	[M_NO_EVENTS] =		{ "Chưa có sự kiện nào", "No events yet" },
	[M_EVENTS_BY_MONTH] =	{ "Theo tháng", "By month" },
	[M_EVENTS_OF_MONTH] =	{ "Sự kiện tháng %s", "Events of %s" },
	[M_EV_START] =		{ "Bắt đầu giám sát (tramond khởi động)",
				  "Monitoring started (tramond)" },
	[M_EV_STOP] =		{ "Ngừng giám sát (tramond dừng)",
				  "Monitoring stopped (tramond)" },
	[M_DAEMON] =		{ "Hệ thống giám sát", "Monitoring system" },
	[M_EV_CUT] =		{ "Máy giám sát mất đường ra mạng (mọi điểm gốc "
				  "mất kết nối)", "The monitor is cut off (every "
				  "root target down)" },
	[M_EV_RECONNECTED] =	{ "Máy giám sát đã kết nối lại",
				  "The monitor is reconnected" },
	[M_EV_REBOOT] =		{ "Khởi động lại", "Rebooted" },
	[M_EV_PORT_DOWN] =	{ "Cổng mất kết nối", "Port down" },
	[M_EV_PORT_UP] =	{ "Cổng hoạt động lại", "Port up" },

	[M_RESPONSE_TIME] =	{ "Thời gian phản hồi", "Response time" },
	[M_REQUESTS] =		{ "Yêu cầu được trả lời / đã gửi",
				  "Requests answered / sent" },
	[M_DEVICE_UPTIME] =	{ "Thời gian chạy liên tục", "Time since restart" },
	[M_UPTIME_SHORT] =	{ "chạy liên tục", "uptime" },
	[M_ANSWER] =		{ "Trả lời", "Answer" },
	[M_CERT] =		{ "Chứng chỉ", "Certificate" },
	[M_CERT_DAYS] =		{ "còn %d ngày", "%d days left" },
	[M_CERT_EXPIRED] =	{ "đã hết hạn", "expired" },
	[M_PHASES] =		{ "Phân rã thời gian", "Where the time goes" },
	[M_RESTARTED_AT] =	{ "khởi động lúc", "restarted" },
	[M_PORTS] =		{ "Cổng", "Ports" },
	[M_PORTS_UP] =		{ "cổng hoạt động", "ports up" },
	[M_PORTS_STALE] =	{ "Thiết bị không trả lời: số liệu các cổng "
				  "dưới đây là của lần đo thành công gần nhất.",
				  "The device does not answer: the port figures "
				  "below are from the last successful poll." },
	[M_NO_PORTS] =		{ "Chưa có số liệu cổng nào",
				  "No ports reported yet" },
	[M_PORT] =		{ "Cổng", "Port" },
	[M_ALIAS] =		{ "Mô tả", "Alias" },
	[M_SPEED] =		{ "Tốc độ", "Speed" },
	[M_TRAFFIC_IN] =	{ "Lưu lượng vào", "Traffic in" },
	[M_TRAFFIC_OUT] =	{ "Lưu lượng ra", "Traffic out" },
	[M_UTILISATION] =	{ "Mức sử dụng", "Utilisation" },
	[M_ERRORS_PS] =		{ "Lỗi/giây", "Errors/s" },
	[M_DISCARDS_PS] =	{ "Loại bỏ/giây", "Discards/s" },
	[M_IN] =		{ "vào", "in" },
	[M_OUT] =		{ "ra", "out" },
	[M_PORT_ADMIN_DOWN] =	{ "Đã tắt (quản trị)", "Admin down" },
	[M_DEVICE] =		{ "Thiết bị", "Device" },
	[M_PORT_OF] =		{ "Cổng của", "Port of" },

	[M_G_LATENCY_GRAPH] =	{ "Độ trễ", "Latency" },
	[M_G_LOSS_GRAPH] =	{ "Mất gói và mất kết nối", "Packet loss and downtime" },
	[M_G_MINMAX] =		{ "nhỏ nhất – lớn nhất", "min – max" },
	[M_G_MEDIAN_BY_LOSS] =	{ "Trung vị (màu theo tỷ lệ mất gói)",
				  "Median (colour by packet loss)" },
	[M_G_NODATA] =		{ "Không có dữ liệu", "No data" },
	[M_G_DOWNTIME] =	{ "Thời gian mất kết nối", "Time down" },
	[M_G_TRAFFIC_GRAPH] =	{ "Lưu lượng", "Traffic" },
	[M_G_ERRORS_GRAPH] =	{ "Lỗi và gói bị loại bỏ", "Errors and discards" },
	[M_G_IN_PEAK] =		{ "Vào (đỉnh)", "In (peak)" },
	[M_G_OUT_PEAK] =	{ "Ra (đỉnh)", "Out (peak)" },
	[M_G_IN_ERRORS] =	{ "Lỗi vào", "In errors" },
	[M_G_OUT_ERRORS] =	{ "Lỗi ra", "Out errors" },
	[M_G_IN_DISCARDS] =	{ "Loại bỏ vào", "In discards" },
	[M_G_OUT_DISCARDS] =	{ "Loại bỏ ra", "Out discards" },
	[M_G_PER_SECOND] =	{ "mỗi giây", "per second" },
	[M_G_JITTER_GRAPH] =	{ "Độ dao động (jitter)", "Jitter" },
	[M_G_JITTER_AVG] =	{ "Jitter trung bình", "Jitter (average)" },
	[M_G_JITTER_PEAK] =	{ "Jitter cao nhất", "Jitter (peak)" },

	[M_A_DOWN] =		{ "MẤT KẾT NỐI", "DOWN" },
	[M_A_UP] =		{ "ĐÃ KẾT NỐI LẠI", "UP AGAIN" },
	[M_A_DEGRADED] =	{ "CHẤT LƯỢNG KÉM", "DEGRADED" },
	[M_A_NORMAL] =		{ "ĐÃ BÌNH THƯỜNG", "BACK TO NORMAL" },
	[M_A_REBOOT] =		{ "KHỞI ĐỘNG LẠI", "RESTARTED" },
	[M_A_PORT_DOWN] =	{ "CỔNG MẤT KẾT NỐI", "PORT DOWN" },
	[M_A_PORT_UP] =		{ "CỔNG HOẠT ĐỘNG LẠI", "PORT UP" },
	[M_A_FLAPPING] =	{ "CHẬP CHỜN", "FLAPPING" },
	[M_A_STABLE] =		{ "ĐÃ ỔN ĐỊNH", "STABLE AGAIN" },
	[M_A_REMINDER] =	{ "NHẮC LẠI – VẪN MẤT KẾT NỐI",
				  "REMINDER – STILL DOWN" },
	[M_A_MAINT_START] =	{ "BẮT ĐẦU BẢO TRÌ", "MAINTENANCE STARTS" },
	[M_A_MAINT_END] =	{ "KẾT THÚC BẢO TRÌ", "MAINTENANCE ENDS" },
	[M_A_CUT] =		{ "MÁY GIÁM SÁT MẤT ĐƯỜNG RA",
				  "MONITOR CUT OFF" },
	[M_A_RECONNECTED] =	{ "MÁY GIÁM SÁT ĐÃ KẾT NỐI LẠI",
				  "MONITOR RECONNECTED" },
	[M_A_DIGEST] =		{ "TỔNG HỢP, GỬI MUỘN", "DIGEST, DELIVERED LATE" },
	[M_A_STORM] =		{ "TỔNG HỢP, NHIỀU THAY ĐỔI CÙNG LÚC",
				  "DIGEST, MANY CHANGES AT ONCE" },
	[M_AS_DOWN] =		{ "%s mất kết nối.", "%s is down." },
	[M_AS_UP] =		{ "%s đã kết nối lại sau %s mất kết nối.",
				  "%s is up again after %s down." },
	[M_AS_DEGRADED] =	{ "%s vẫn kết nối nhưng chất lượng kém.",
				  "%s answers, but poorly." },
	[M_AS_NORMAL] =		{ "Chất lượng kết nối của %s đã bình thường.",
				  "%s is back to normal." },
	[M_AS_REBOOT] =		{ "%s vừa khởi động lại (có thể do mất điện).",
				  "%s restarted (a power cut?)." },
	[M_AS_PORT_DOWN] =	{ "Cổng %s trên %s mất kết nối.",
				  "Port %s of %s went down." },
	[M_AS_PORT_UP] =	{ "Cổng %s trên %s đã hoạt động lại.",
				  "Port %s of %s is up again." },
	[M_AS_FLAPPING] =	{ "%s liên tục mất rồi có kết nối: sẽ không "
				  "gửi thêm cảnh báo cho đến khi ổn định.",
				  "%s keeps going down and up: no more alerts "
				  "for it until it settles." },
	[M_AS_STABLE] =		{ "%s đã ổn định, hiện: %s.",
				  "%s has settled; it is now %s." },
	[M_AS_REMINDER] =	{ "%s vẫn mất kết nối, đã %s.",
				  "%s is still down, for %s now." },
	[M_AS_MAINT_START] =	{ "%s bắt đầu bảo trì.",
				  "Maintenance of %s begins." },
	[M_AS_MAINT_END] =	{ "%s kết thúc bảo trì.",
				  "Maintenance of %s ends." },
	[M_AS_CUT] =		{ "Mọi điểm gốc đều mất kết nối: có lẽ chính máy "
				  "giám sát bị cắt khỏi mạng.",
				  "Every root target is down: the monitor "
				  "itself is probably cut off." },
	[M_AS_RECONNECTED] =	{ "Máy giám sát đã kết nối lại qua %s.",
				  "The monitor is reconnected through %s." },
	[M_AS_DIGEST] =		{ "Máy giám sát bị mất đường ra mạng từ %s đến "
				  "%s (%s): mọi điểm gốc cùng mất kết nối. Các "
				  "thông báo trong thời gian đó không gửi được "
				  "đúng lúc; đây là bản tổng hợp, gửi muộn, mỗi "
				  "sự việc kèm thời điểm thực của nó:",
				  "The monitor lost its own way out from %s to "
				  "%s (%s): every root target was down at once. "
				  "The notices of that time could not be "
				  "delivered when they happened; here they are "
				  "in one digest, delivered late, each with the "
				  "time it happened:" },
	[M_AS_STORM] =		{ "Từ %s đến %s (%s) có nhiều thay đổi cùng "
				  "lúc. Để khỏi gửi mỗi thông báo một thư, "
				  "chúng được gộp vào thư này, mỗi sự việc kèm "
				  "thời điểm của nó (vài thông báo đầu tiên đã "
				  "gửi riêng):",
				  "From %s to %s (%s) many things changed at "
				  "once. Rather than a mail for each notice, "
				  "they are grouped in this one, each with the "
				  "time it happened (the first few went on "
				  "their own):" },
	[M_A_DIGEST_N] =	{ "%d thông báo, %s – %s",
				  "%d notices, %s – %s" },
	[M_A_NOW] =		{ "Hiện tại", "Now" },
	[M_A_AND_BEHIND] =	{ "và %d điểm phía sau", "and %d behind it" },
	[M_A_AFTER] =		{ "sau", "after" },
	[M_A_CUT_OFF] =		{ "Các điểm bị mất kết nối theo (%d):",
				  "Cut off with it (%d):" },
	[M_A_GROUP] =		{ "Nhóm", "Group" },
	[M_A_DOWN_SINCE] =	{ "Mất kết nối từ", "Down since" },
	[M_A_DURATION] =	{ "Kéo dài", "Duration" },
	[M_A_LAST_ROUND] =	{ "Lần đo gần nhất", "Last measurement" },
	[M_A_LATE] =		{ "Thông báo này gửi muộn: sự việc xảy ra lúc",
				  "This notice is late: it happened at" },
	[M_A_PAGE] =		{ "Chi tiết", "Details" },
	[M_A_ACK_HINT] =	{ "Để ngừng nhắc lại: tramonctl ack",
				  "To stop the reminders: tramonctl ack" },
	[M_A_FOOTER] =		{ "tramon – giám sát mạng", "tramon – network "
				  "monitoring" },

	[M_MEETINGS] =		{ "Họp trực tuyến", "Meetings" },
	[M_MT_SITE] =		{ "Điểm cầu", "Site" },
	[M_MT_VERDICT] =	{ "Đánh giá", "Verdict" },
	[M_MT_ANSWER] =		{ "Trả lời", "Answer" },
	[M_MT_READY] =		{ "Sẵn sàng", "Ready" },
	[M_MT_AT_RISK] =	{ "Có nguy cơ", "At risk" },
	[M_MT_NOT_REACHABLE] =	{ "Không kết nối được", "Not reachable" },
	[M_MT_SCHEDULE] =	{ "Lịch họp", "Schedule" },
	[M_MT_WEEKLY] =		{ "%s hằng tuần, lúc %s", "Every %s at %s" },
	[M_MT_NEXT] =		{ "Cuộc họp tới", "Next meeting" },
	[M_MT_CHECK_AT] =	{ "Kiểm tra sẵn sàng lúc", "Readiness check at" },
	[M_MT_NO_MORE] =	{ "Không còn cuộc họp nào sắp tới",
				  "No meeting ahead" },
	[M_MT_LAST] =		{ "Lần kiểm tra gần nhất", "Last check" },
	[M_MT_NOT_CHECKED] =	{ "Chưa kiểm tra lần nào", "Not checked yet" },
	[M_MT_CHECKING] =	{ "Đang kiểm tra…", "Checking now…" },
	[M_MT_NONE] =		{ "Chưa có cuộc họp nào được cấu hình",
				  "No meetings are configured" },
	[M_MT_THRESHOLDS] =	{ "Ngưỡng", "Thresholds" },
	[M_MT_LIMITS] =		{ "mất gói ≤ %s %%, độ trễ ≤ %s ms, jitter ≤ "
				  "%s ms", "loss ≤ %s %%, rtt ≤ %s ms, jitter ≤ "
				  "%s ms" },
	[M_MT_MEASURED] =	{ "Đo trong %s, từ %s đến %s",
				  "Measured for %s, from %s to %s" },
	[M_MT_ASKED] =		{ "kiểm tra theo yêu cầu", "asked for" },
	[M_MT_READY_N] =	{ "%d/%d điểm sẵn sàng", "%d of %d sites ready" },
	[M_A_MEETING] =		{ "SẴN SÀNG HỌP", "MEETING READINESS" },
	[M_A_MEETING_N] =	{ "%s %s – %d/%d điểm sẵn sàng",
				  "%s at %s – %d of %d sites ready" },
	[M_AS_MEETING] =	{ "Kiểm tra trước cuộc họp \"%s\" (%s): %d/%d "
				  "điểm cầu sẵn sàng.",
				  "Readiness check before the meeting \"%s\" "
				  "(%s): %d of %d sites ready." },
	[M_WDAY_SUN] =		{ "Chủ nhật", "Sunday" },
	[M_WDAY_MON] =		{ "Thứ Hai", "Monday" },
	[M_WDAY_TUE] =		{ "Thứ Ba", "Tuesday" },
	[M_WDAY_WED] =		{ "Thứ Tư", "Wednesday" },
	[M_WDAY_THU] =		{ "Thứ Năm", "Thursday" },
	[M_WDAY_FRI] =		{ "Thứ Sáu", "Friday" },
	[M_WDAY_SAT] =		{ "Thứ Bảy", "Saturday" },
	[M_R_TITLE] =		{ "Báo cáo mức độ sẵn sàng của mạng",
				  "Network availability report" },
	[M_R_MONTH] =		{ "Tháng", "Month" },
	[M_R_PERIOD] =		{ "Khoảng thời gian", "Period" },
	[M_R_SO_FAR] =		{ "tháng chưa kết thúc, số liệu tính đến",
				  "the month is not over; figures until" },
	[M_R_TIMEZONE] =	{ "Múi giờ", "Time zone" },
	[M_R_GENERATED] =	{ "Lập lúc", "Generated" },
	[M_R_SUMMARY] =		{ "Các điểm giám sát", "Targets" },
	[M_R_AVAILABILITY] =	{ "Sẵn sàng", "Availability" },
	[M_R_MONITORED] =	{ "Giám sát", "Monitored" },
	[M_R_MAINTENANCE] =	{ "Bảo trì", "Maintenance" },
	[M_R_UP] =		{ "Hoạt động", "Up" },
	[M_R_DOWN] =		{ "Mất kết nối", "Down" },
	[M_R_UNREACHABLE] =	{ "Không truy cập được", "Unreachable" },
	[M_R_NODATA] =		{ "Không có dữ liệu", "No data" },
	[M_R_OUTAGES_N] =	{ "Số lần", "Outages" },
	[M_R_LONGEST] =		{ "Lâu nhất", "Longest" },
	[M_R_MTTR] =		{ "Khắc phục TB", "MTTR" },
	[M_R_LATENCY] =		{ "Độ trễ TB", "Avg latency" },
	[M_R_LOSS] =		{ "Mất gói TB", "Avg loss" },
	[M_R_GROUP] =		{ "Nhóm", "Group" },
	[M_R_GROUP_TOTAL] =	{ "Cả nhóm", "Group total" },
	[M_R_GROUPS] =		{ "Theo nhóm", "By group" },
	[M_R_OUTAGE_LIST] =	{ "Danh sách sự cố", "Outages" },
	[M_R_NO_OUTAGES] =	{ "Không có sự cố nào.", "No outages." },
	[M_R_START] =		{ "Bắt đầu", "Start" },
	[M_R_END] =		{ "Kết thúc", "End" },
	[M_R_DURATION] =	{ "Kéo dài", "Duration" },
	[M_R_COUNTED] =		{ "Tính là sự cố", "Counted" },
	[M_R_KIND] =		{ "Loại", "Kind" },
	[M_R_VIA] =		{ "qua", "via" },
	[M_R_ACKED] =		{ "Đã xác nhận", "Acknowledged" },
	[M_R_YES] =		{ "có", "yes" },
	[M_R_NO] =		{ "không", "no" },
	[M_R_HINT] =		{ "Nguyên nhân có thể", "Possible cause" },
	[M_R_HINT_REBOOT] =	{ "mất điện? (%s khởi động lại)",
				  "power? (%s restarted)" },
	[M_R_HINT_PORT] =	{ "cổng %s của %s mất kết nối",
				  "port %s of %s went down" },
	[M_R_CONTINUED] =	{ "tiếp diễn từ tháng trước",
				  "continued from the month before" },
	[M_R_ONGOING] =		{ "vẫn tiếp diễn khi hết kỳ",
				  "still going at the end" },
	[M_R_CUT] =		{ "máy giám sát mất đường ra mạng: không có dữ liệu",
				  "the monitor was cut off: no data" },
	[M_R_PART_NODATA] =	{ "%s không có dữ liệu", "%s without data" },
	[M_R_PART_MAINT] =	{ "%s bảo trì", "%s in maintenance" },
	[M_R_NOTE] =		{ "Ghi chú", "Note" },
	[M_R_MAIL_SUBJECT] =	{ "[tramon] Báo cáo tháng %s: %s",
				  "[tramon] Report for %s: %s" },
	[M_R_MAIL_ALL_MET] =	{ "Mọi điểm giám sát đạt mức cam kết %s%%.",
				  "Every target met the %s%% target." },
	[M_R_MAIL_BELOW] =	{ "Dưới mức cam kết %s%%:",
				  "Below the %s%% target:" },
	[M_R_MAIL_ATTACHED] =	{ "Báo cáo đầy đủ ở tệp đính kèm.",
				  "The full report is attached." },
	[M_R_MAIL_ONLINE] =	{ "Xem trên trang giám sát:",
				  "On the monitoring site:" },
	[M_R_OUTAGES_LONGEST] =	{ "%u sự cố, lâu nhất %s",
				  "%u outage(s), the longest %s" },
	[M_REPORTS] =		{ "Báo cáo", "Reports" },
	[M_REPORTS_NONE] =	{ "Chưa có báo cáo tháng nào.",
				  "No monthly report yet." },
	[M_REPORTS_HOW] =	{ "Báo cáo của mỗi tháng được lập vào ngày 1 "
				  "tháng sau lúc %s.",
				  "Each month's report is built on the 1st of "
				  "the next month at %s." },
	[M_REPORTS_MONTH] =	{ "Tháng", "Month" },
	[M_REPORTS_FILES] =	{ "Tệp", "Files" },
	[M_R_BELOW_SLA] =	{ "dưới mức cam kết %s%%", "below the %s%% target" },
	[M_R_LEGEND] =		{ "Sẵn sàng = thời gian hoạt động ÷ (thời gian "
				  "giám sát − bảo trì). Không có dữ liệu: tramond "
				  "không chạy hoặc máy giám sát mất đường ra mạng; "
				  "không tính là hoạt động cũng không tính là mất "
				  "kết nối. Thời lượng ghi giờ:phút:giây.",
				  "Availability = up time ÷ (monitored time − "
				  "maintenance). No data: tramond was not running "
				  "or the monitor was cut off; counted neither as "
				  "up nor as down. Durations are hours:minutes:"
				  "seconds." },
	[M_R_ID] =		{ "Mã", "Id" },
	[M_R_NAME] =		{ "Tên", "Name" },
	[M_R_TARGETS] =		{ "Số điểm", "Targets" },
	[M_R_SECONDS] =		{ "giây", "s" },
};

const char *
i18n(int lang, int m)
{
	const char *s;

	if (m < 0 || m >= M_COUNT)
		return "?";
	s = catalog[m][lang == LANG_EN ? 1 : 0];
	if (s == NULL)		/* a hole in the table: fall back to English */
		s = catalog[m][1];
	return s ? s : "?";
}

const char *
i18n_state(int lang, enum tstate s)
{
	if (s < 0 || s >= TS_COUNT)
		s = TS_UNKNOWN;
	return i18n(lang, M_STATE_UNKNOWN + (int)s);
}

const char *
i18n_code(int lang)
{
	return lang == LANG_EN ? "en" : "vi";
}

static void
datetime(time_t t, const char *fmt, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return;
	if (localtime_r(&t, &tm) == NULL || strftime(buf, len, fmt, &tm) == 0)
		buf[0] = '\0';
}

void
i18n_datetime(int lang, time_t t, char *buf, size_t len)
{
	datetime(t, lang == LANG_EN ? "%Y-%m-%d %H:%M" : "%d/%m/%Y %H:%M",
	    buf, len);
}

void
i18n_datetime_sec(int lang, time_t t, char *buf, size_t len)
{
	datetime(t, lang == LANG_EN ? "%Y-%m-%d %H:%M:%S" :
	    "%d/%m/%Y %H:%M:%S", buf, len);
}

void
i18n_number(int lang, double v, int decimals, char *buf, size_t len)
{
	char *dot;

	if (len == 0)
		return;
	if (!isfinite(v)) {
		snprintf(buf, len, "–");
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	/* never print "-0" for a value that rounds to zero */
	if (fabs(v) < 0.5 * pow(10, -decimals))
		v = 0;
	snprintf(buf, len, "%.*f", decimals, v);
	if (lang != LANG_EN && (dot = strchr(buf, '.')) != NULL)
		*dot = ',';
}

/* The two largest units are enough for people: "3 ngày 4 giờ". */
void
i18n_duration(int lang, long s, char *buf, size_t len)
{
	long d, h, m;

	if (len == 0)
		return;
	if (s < 0)
		s = 0;
	d = s / 86400;
	h = s % 86400 / 3600;
	m = s % 3600 / 60;
	if (d > 0 && h > 0)
		snprintf(buf, len, "%ld %s %ld %s", d, i18n(lang, M_UNIT_DAY),
		    h, i18n(lang, M_UNIT_HOUR));
	else if (d > 0)
		snprintf(buf, len, "%ld %s", d, i18n(lang, M_UNIT_DAY));
	else if (h > 0 && m > 0)
		snprintf(buf, len, "%ld %s %ld %s", h, i18n(lang, M_UNIT_HOUR),
		    m, i18n(lang, M_UNIT_MIN));
	else if (h > 0)
		snprintf(buf, len, "%ld %s", h, i18n(lang, M_UNIT_HOUR));
	else if (m > 0)
		snprintf(buf, len, "%ld %s", m, i18n(lang, M_UNIT_MIN));
	else
		snprintf(buf, len, "%ld %s", s, i18n(lang, M_UNIT_SEC));
}

/* ifOperStatus and ifAdminStatus words (RFC 2863), as the snmp probe
 * writes them; anything else is kept. */
static const char *
if_status_vi(const char *word, int admin)
{
	static const struct {
		const char *en, *oper, *admin;
	} words[] = {
		{ "up", "hoạt động", "bật" },
		{ "down", "mất kết nối", "tắt" },
		{ "testing", "đang kiểm tra", "đang kiểm tra" },
		{ "unknown", "không rõ", "không rõ" },
		{ "dormant", "đang chờ (dormant)", NULL },
		{ "notPresent", "không có phần cứng", NULL },
		{ "lowerLayerDown", "lớp dưới mất kết nối", NULL },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(word, words[i].en) == 0) {
			const char *w = admin ? words[i].admin : words[i].oper;

			return w ? w : word;
		}
	return word;
}

/*
 * What the snmp probe says of a port and a reboot:
 *	"oper status down (admin up)", "oper status up",
 *	"sysUpTime went back from 12 d 03:04:05 to 00:02:10",
 *	"walk incomplete: timeout after 12 rows".
 * Numbers and times are kept as they are given.  1 if translated.
 */
static int
snmp_reason_vi(const char *why, char *buf, size_t len)
{
	static const char back[] = "sysUpTime went back from ";
	static const char walk[] = "walk incomplete: ";
	char oper[32], admin[32], end;
	const char *to;
	unsigned rows;
	int n = -1;

	if (sscanf(why, "oper status %31[A-Za-z] (admin %31[A-Za-z]%c",
	    oper, admin, &end) == 3 && end == ')' &&
	    strlen(why) == 12 + strlen(oper) + 8 + strlen(admin) + 1) {
		snprintf(buf, len, "trạng thái cổng: %s (quản trị: %s)",
		    if_status_vi(oper, 0), if_status_vi(admin, 1));
		return 1;
	}
	if (sscanf(why, "oper status %31[A-Za-z]", oper) == 1 &&
	    strlen(why) == 12 + strlen(oper)) {
		snprintf(buf, len, "trạng thái cổng: %s", if_status_vi(oper, 0));
		return 1;
	}
	if (strncmp(why, back, sizeof(back) - 1) == 0 &&
	    (to = strstr(why + sizeof(back) - 1, " to ")) != NULL) {
		const char *from = why + sizeof(back) - 1;

		snprintf(buf, len, "sysUpTime lùi từ %.*s về %s (thiết bị đã "
		    "khởi động lại)", (int)(to - from), from, to + 4);
		return 1;
	}
	if (strncmp(why, walk, sizeof(walk) - 1) == 0) {
		const char *rest = why + sizeof(walk) - 1;

		if (sscanf(rest, "timeout after %u rows%n", &rows, &n) == 1 &&
		    n >= 0 && rest[n] == '\0')
			snprintf(buf, len, "đọc bảng cổng chưa xong: hết thời "
			    "gian chờ sau %u dòng", rows);
		else
			snprintf(buf, len, "đọc bảng cổng chưa xong: %s", rest);
		return 1;
	}
	return 0;
}

/* The http probe's words (plugins/http/http.c) in Vietnamese; 0 if
 * `why` is none of them. */
static int
http_reason_vi(const char *why, char *buf, size_t len)
{
	static const char soon[] = "certificate expires in ";
	static const char gone[] = "certificate expired on ";
	static const char text[] = "expected text not found (";
	unsigned days;
	int n = -1;

	if (strncmp(why, soon, sizeof(soon) - 1) == 0) {
		const char *rest = why + sizeof(soon) - 1;

		if (sscanf(rest, "%u days (%n", &days, &n) == 1 && n > 0)
			snprintf(buf, len, "chứng chỉ hết hạn sau %u ngày (%s",
			    days, rest + n);
		else if (strncmp(rest, "less than a day (", 17) == 0)
			snprintf(buf, len, "chứng chỉ hết hạn trong chưa tới "
			    "một ngày (%s", rest + 17);
		else
			return 0;
		return 1;
	}
	if (strncmp(why, gone, sizeof(gone) - 1) == 0) {
		snprintf(buf, len, "chứng chỉ đã hết hạn ngày %s",
		    why + sizeof(gone) - 1);
		return 1;
	}
	if (strncmp(why, text, sizeof(text) - 1) == 0) {
		snprintf(buf, len, "không thấy nội dung cần có (%s",
		    why + sizeof(text) - 1);
		return 1;
	}
	return 0;
}

/*
 * Reasons come from the state machine and the probes in English, which
 * is what the journal keeps; people read them in their language.  Known
 * phrases are translated, numbers get the language's decimal mark, and
 * anything else (an unusual error text) is shown as it is.
 */
void
i18n_reason(int lang, const char *why, char *buf, size_t len)
{
	static const struct {
		const char *en, *vi;
	} phrases[] = {
		{ "timeout", "hết thời gian chờ" },
		{ "no answer", "không trả lời" },
		{ "connection refused", "bị từ chối kết nối" },
		{ "network unreachable", "không có đường tới mạng" },
		{ "host unreachable", "không tới được máy" },
		{ "connection reset", "kết nối bị ngắt" },
		{ "authentication failure", "xác thực SNMP thất bại" },
		{ "unknown user", "người dùng SNMP không tồn tại" },
		{ "no such name", "không có đối tượng SNMP này (noSuchName)" },
	};
	static const struct {
		const char *fmt;        /* sscanf: two numbers */
		const char *what[2];    /* vi, en */
		const char *unit;
		int decimals;
	} limits[] = {
		{ "loss %lf%% > %lf%%", { "mất gói", "loss" }, "%", 1 },
		{ "rtt %lf ms > %lf ms", { "độ trễ", "rtt" }, " ms", 1 },
		{ "jitter %lf ms > %lf ms", { "jitter", "jitter" }, " ms", 1 },
	};
	int vi = lang != LANG_EN;
	char a[32], b[32];
	double x, y;

	if (len == 0)
		return;
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (strcmp(why, phrases[i].en) == 0) {
			snprintf(buf, len, "%s", vi ? phrases[i].vi : why);
			return;
		}
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (sscanf(why, limits[i].fmt, &x, &y) == 2) {
			i18n_number(lang, x, limits[i].decimals, a, sizeof(a));
			i18n_number(lang, y, limits[i].decimals, b, sizeof(b));
			snprintf(buf, len, "%s %s%s > %s%s",
			    limits[i].what[vi ? 0 : 1], a, limits[i].unit, b,
			    limits[i].unit);
			return;
		}
	if (vi && http_reason_vi(why, buf, len))
		return;
	if (vi && strncmp(why, "cannot resolve ", 15) == 0) {
		snprintf(buf, len, "không phân giải được tên %s", why + 15);
		return;
	}
	if (vi && snmp_reason_vi(why, buf, len))
		return;
	snprintf(buf, len, "%s", why);
}
