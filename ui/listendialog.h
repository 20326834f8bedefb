#pragma once

#include <QDialog>

class QSpinBox;

namespace rivulet {

// Asks for the ports to listen on: native clients', and Kafka clients' when the broker
// speaks Kafka. Each starts at the port in use; 0 picks a free one. The caller moves the
// listeners whose port changed once the dialog is accepted.
class ListenDialog : public QDialog
{
    Q_OBJECT
public:
    // kafkaPort < 0: no Kafka listener, so no Kafka field.
    ListenDialog(quint16 nativePort, int kafkaPort, QWidget *parent = nullptr);

    QSpinBox *nativePortEdit() const { return m_native; }
    QSpinBox *kafkaPortEdit() const { return m_kafka; } // null without a Kafka listener

private:
    QSpinBox *m_native;
    QSpinBox *m_kafka = nullptr;
};

} // namespace rivulet
