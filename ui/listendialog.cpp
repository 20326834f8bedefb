#include "listendialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace rivulet {
namespace {

QSpinBox *portEdit(QWidget *parent, const QString &name, int port)
{
    auto *edit = new QSpinBox(parent);
    edit->setObjectName(name);
    edit->setRange(0, 65535);
    edit->setValue(port);
    edit->setToolTip(QObject::tr("1–65535, or 0 for any free port"));
    return edit;
}

} // namespace

ListenDialog::ListenDialog(quint16 nativePort, int kafkaPort, QWidget *parent)
    : QDialog(parent), m_native(portEdit(this, QStringLiteral("nativePort"), nativePort))
{
    setWindowTitle(tr("Listen on other ports — Rivulet"));
    auto *intro = new QLabel(tr("The ports clients connect to. Connections already open stay "
                                "where they are; 0 picks a free port."),
                             this);
    intro->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("&Native clients:"), m_native);
    if (kafkaPort >= 0) {
        m_kafka = portEdit(this, QStringLiteral("kafkaPort"), kafkaPort);
        form->addRow(tr("&Kafka clients:"), m_kafka);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(tr("Listen"), QDialogButtonBox::AcceptRole)->setDefault(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(buttons);
    // the title bar shows the whole title: its text, an icon and three buttons
    setMinimumWidth(std::max(420, fontMetrics().horizontalAdvance(windowTitle()) + 180));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

} // namespace rivulet
