#include "provider/PendingProfile.h"
#include "provider/Profiles.h"

// Placeholder until the Vonage profile is built (see PendingProfile.h).
namespace pacelab::provider {

const Profile &vonageProfile()
{
    static const PendingProfile p(Id::Vonage, "vonage", "Vonage Voice API WebSockets", MediaFormat::l16(16000), MediaFormat::l16(16000), true);
    return p;
}

} // namespace pacelab::provider
