// Helpers for tests that check the broker's own Kafka codec (broker/kafka/wire.h) against
// byte sequences written by hand with kafkawire.h's Out.
#pragma once

#include "kafka/wire.h"
#include "kafkawire.h"

#include <QByteArray>

#include <cstdint>

namespace {

using rivulet::testing::Out;

template <class M> M decoded(const QByteArray &bytes, std::int16_t v, bool &ok)
{
    rivulet::kafka::Reader r(bytes);
    M m;
    m.read(r, v);
    ok = r.ok() && r.remaining() == 0;
    return m;
}

template <class M> QByteArray encoded(const M &m, std::int16_t v)
{
    QByteArray out;
    rivulet::kafka::Writer w(out);
    m.write(w, v);
    return out;
}

} // namespace
