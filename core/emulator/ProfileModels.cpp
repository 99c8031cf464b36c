#include "ProfileModels.h"

namespace pacelab {

ArrivalAnalyticsConfig analyticsConfigFor(const provider::Profile &profile, ArrivalAnalyticsConfig base)
{
    base.format = profile.outboundFormat();
    base.audioSizeMultiple = std::max(0, profile.limits().audioSizeMultiple);
    return base;
}

PlayoutConfig playoutConfigFor(const provider::Profile &profile, PlayoutConfig base)
{
    const provider::Limits l = profile.limits();
    base.format = profile.outboundFormat();
    base.maxBufferedMessages = l.maxBufferedMessages > 0 ? l.maxBufferedMessages : -1;
    if (l.maxBufferedUs > 0 && base.maxBufferedUs == PlayoutConfig().maxBufferedUs)
        base.maxBufferedUs = l.maxBufferedUs;
    return base;
}

} // namespace pacelab
