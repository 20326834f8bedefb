#include "deletetopicdialog.h"

#include "displayformat.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace rivulet {

DeleteTopicDialog::DeleteTopicDialog(const QString &topic, std::int64_t messages, QWidget *parent)
    : QDialog(parent), m_topic(topic), m_name(new QLineEdit(this)),
      m_delete(new QPushButton(tr("&Delete"), this))
{
    setWindowTitle(tr("Delete topic — Rivulet"));
    auto *text = new QLabel(
        tr("Topic <b>%1</b> holds %2. Deleting it removes them and its consumers' positions "
           "for good.<br><br>Type the topic's name to delete it:")
            .arg(topic.toHtmlEscaped(), display::count(messages, tr("message"), tr("messages"))),
        this);
    text->setWordWrap(true);
    text->setTextFormat(Qt::RichText);
    m_name->setPlaceholderText(topic);
    m_delete->setEnabled(false);
    m_delete->setAutoDefault(false);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_delete, QDialogButtonBox::DestructiveRole);
    // no default button: Enter in the name field deletes once it matches, and never cancels
    buttons->button(QDialogButtonBox::Cancel)->setAutoDefault(false);

    auto *icon = new QLabel(this);
    const int size = style()->pixelMetric(QStyle::PM_MessageBoxIconSize, nullptr, this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(size, size));
    auto *top = new QHBoxLayout;
    top->addWidget(icon, 0, Qt::AlignTop);
    top->addWidget(text, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_name);
    layout->addWidget(buttons);
    setMinimumWidth(420);

    connect(m_name, &QLineEdit::textChanged, this,
            [this](const QString &typed) { m_delete->setEnabled(typed == m_topic); });
    // Enter deletes only once the name matches; before that it does nothing
    connect(m_name, &QLineEdit::returnPressed, this, [this] {
        if (m_delete->isEnabled())
            accept();
    });
    connect(m_delete, &QPushButton::clicked, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

} // namespace rivulet
