-- wrk script for bench/publish.sh: POSTs a ~1 KB order event. KEY (API key) from the environment; empty for the reference.
local key = os.getenv("KEY") or ""
local items = {}
for i = 1, 12 do
  items[#items + 1] = string.format('{"sku":"SKU-%05d","name":"Item number %d with a longer description","qty":%d,"price":%d.99}', i * 7, i, i % 5 + 1, i * 3)
end
wrk.method = "POST"
wrk.body = '{"eventType":"order.created","payload":{"orderId":"ORD-2026-000123","customer":{"id":"C-42","email":"someone@example.com","name":"Some One"},"currency":"EUR","items":[' .. table.concat(items, ",") .. '],"total":1234.56}}'
wrk.headers["Content-Type"] = "application/json"
if key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
