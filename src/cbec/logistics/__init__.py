"""Smart logistics (智能物流, issue 18): carriers' tracking events in one canonical form mapped to
one internal status each (UPU EDI, 17TRACK), unknown codes queued for the operator, stalled
parcels, and the physical CEB flows (运抵, 离境, 清单总分单, 签收, 入库, 退运理货) declared through
customs. See docs/logistics.md."""
