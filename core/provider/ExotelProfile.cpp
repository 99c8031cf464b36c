#include "provider/PendingProfile.h"
#include "provider/Profiles.h"

// Placeholder until the Exotel profile is built (see PendingProfile.h).
namespace pacelab::provider {

const Profile &exotelProfile()
{
    static const PendingProfile p(Id::Exotel, "exotel", "Exotel AgentStream", MediaFormat::l16(8000, 100), MediaFormat::l16(8000, 100), false);
    return p;
}

} // namespace pacelab::provider
